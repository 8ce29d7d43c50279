/**
 * Conversions between the Worker clock and mesh time (the lead's clock). `offsetMs` is
 * mesh - Worker, the convention of the agents' own clock reports, so mesh = local + offset.
 */
export const toMesh = (localMs: number, offsetMs: number): number => localMs + offsetMs;
export const toLocal = (meshMs: number, offsetMs: number): number => meshMs - offsetMs;

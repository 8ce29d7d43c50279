/**
 * Runs synchronous work and returns its result as a promise, turning a throw into a rejection:
 * the Ed25519 interface promises that its async methods fail by rejecting, never by throwing
 * before a promise exists.
 */
export function promised<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * The API takes several bodies loosely (verb, selector: z.unknown) and maps them one to one
 * onto an engine request that validates the values. For the reader, each body field gets the
 * engine field's schema: `fieldOf` maps engine (camelCase) names to body (snake_case) names;
 * `omit` leaves out engine fields whose nested names differ from the body's.
 */
import type { z } from 'zod';

export function engineFields(engine: z.ZodObject, fieldOf: Readonly<Record<string, string>>, omit: readonly string[] = []): Record<string, z.ZodType> {
  return Object.fromEntries(
    Object.entries(engine.shape)
      .filter(([name]) => !omit.includes(name))
      .map(([name, schema]) => [fieldOf[name] ?? name, schema as z.ZodType]),
  );
}

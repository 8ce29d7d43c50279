/** Query strings validated like bodies: a strict schema, every bad parameter named, nothing coerced silently. */
import type { Context } from 'hono';
import { z } from 'zod';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX } from './page-token.js';
import { fieldErrors, invalidFields } from './problem.js';

/**
 * What a numeric parameter is to a reader of the OpenAPI document: on the wire it is text the
 * schema parses, which JSON Schema would describe only as a pattern.
 */
export const PARAM_FORMATS = z.registry<{ type: 'integer' | 'number'; minimum: number; maximum: number }>();

/** A decimal integer parameter (digits only: "1e3", " 5" and "5.0" are refused). */
export const intParam = (min: number, max: number) => {
  const schema = z
    .string()
    .regex(/^\d{1,16}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
  PARAM_FORMATS.add(schema, { type: 'integer', minimum: min, maximum: max });
  return schema;
};

/** A decimal number parameter, for mesh times (the API answers fractional ms): "1800000000000.25" is fine, "1e3" is not. */
export const numberParam = (min: number, max: number) => {
  const schema = z
    .string()
    .regex(/^\d{1,16}(\.\d{1,9})?$/, 'must be a decimal number (digits, optionally a "." and more digits)')
    .transform(Number)
    .pipe(z.number().min(min).max(max));
  PARAM_FORMATS.add(schema, { type: 'number', minimum: min, maximum: max });
  return schema;
};

export const PageParams = {
  page_size: intParam(1, PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  page_token: z.string().min(1).max(2_048).optional(),
};

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const raw: Record<string, string> = {};
  for (const [key, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) throw invalidFields('Invalid query', [{ field: key, message: 'give this parameter once' }]);
    raw[key] = values[0] ?? '';
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidFields('Invalid query', fieldErrors(parsed.error.issues));
  return parsed.data;
}

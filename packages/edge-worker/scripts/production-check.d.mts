// Types of production-check.mjs (a plain script, run by node without a build step).
export interface ProductionProblems {
  errors: string[];
  notes: string[];
}
export function parseJsonc(text: string): unknown;
export function parseSecretsFile(text: string): Record<string, string>;
export function productionProblems(
  config: unknown,
  options?: { envName?: string; secrets?: Record<string, unknown> | undefined; allowPlaceholders?: boolean },
): ProductionProblems;

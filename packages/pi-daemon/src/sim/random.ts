/**
 * A small seeded generator (mulberry32) so a simulated fleet is the same fleet on every run
 * with the same seed: ids, classes, skews and faults are reproducible.
 */
import { mulberry32 } from '@mesh30k/shared';

export type Random = () => number;

export function seededRandom(seed: number): Random {
  return mulberry32(seed);
}

export function uniform(random: Random, min: number, max: number): number {
  return min + random() * (max - min);
}

/** A log-normal draw with the given median and shape (sigma of the underlying normal). */
export function logNormal(random: Random, median: number, sigma: number): number {
  // Box-Muller; 1 - random() keeps the logarithm finite.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(sigma * normal);
}

/** Picks a key with probability proportional to its weight. */
export function weightedPick<K extends string>(random: Random, weights: Readonly<Partial<Record<K, number>>>): K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let target = random() * total;
  for (const [key, weight] of entries) {
    target -= weight;
    if (target < 0) return key;
  }
  return entries[entries.length - 1]![0];
}

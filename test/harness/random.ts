// The seeded PRNG of emulated delays and losses lives with the link model in shared, so the
// sims' per-agent links and this harness draw the same way.
export { deriveSeed, mulberry32, type UniformRandom as Random } from '@mesh30k/shared';

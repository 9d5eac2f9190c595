import { expectInteger, expectNumber, expectString } from '../validate.js';

/**
 * A small seeded PRNG (SplitMix32 → Mulberry32-style mixing), so shuffles and splits are
 * reproducible everywhere and their state can be saved in a checkpoint.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A seeded permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Uint32Array;
  /** The state, to restore with createRng(seed, state). */
  readonly state: number;
}

/**
 * Longest permutation: 2^28 indices (1 GiB). A larger n (or 2^53, or an array that coerces to
 * 1e9) would allocate gigabytes or loop for minutes; no dataset held in memory comes near it.
 */
export const maxPermutation = 2 ** 28;

export function createRng(seed: number, state?: number): Rng {
  expectNumber(seed, 'seed');
  if (state !== undefined) expectInteger(state, 'state', 0, 0xffffffff);
  let s = state ?? (Math.imul(seed >>> 0, 0x9e3779b9) ^ 0x6d2b79f5) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int(n) {
      expectInteger(n, 'n', 1);
      return Math.floor(next() * n);
    },
    permutation(n) {
      expectInteger(n, 'n', 0, maxPermutation);
      const p = new Uint32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = p[i]!;
        p[i] = p[j]!;
        p[j] = tmp;
      }
      return p;
    },
    get state() {
      return s;
    },
  };
  return rng;
}

/** FNV-1a 32-bit hash of a string (UTF-16 code units), for deterministic splits. */
export function hashString(text: string, seed = 0): number {
  expectString(text, 'text');
  expectNumber(seed, 'seed');
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

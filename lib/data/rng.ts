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

export function createRng(seed: number, state?: number): Rng {
  let s = state ?? (Math.imul(seed >>> 0, 0x9e3779b9) ^ 0x6d2b79f5) >>> 0;
  const rng: Rng = {
    next() {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    int(n) {
      return Math.floor(rng.next() * n);
    },
    permutation(n) {
      const p = new Uint32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
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
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

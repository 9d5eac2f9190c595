/**
 * The machine's memory bandwidth as a plain copy measures it: two 256 MiB buffers (far larger
 * than any cache), copied several times on one thread; bytes moved = read + write. The best of
 * the repeats: the floor it implies is what the memory system allows, not what a run got.
 */
export function copyBandwidth(repeats = 6, bytes = 256 * 1024 * 1024): number {
  const a = Buffer.alloc(bytes, 1);
  const b = Buffer.alloc(bytes);
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    a.copy(b);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * bytes) / best;
}

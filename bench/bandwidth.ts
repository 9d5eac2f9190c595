import { callAsync } from '../lib/native/call.js';
import { addon } from '../lib/native/loader.js';

/**
 * The machine's memory bandwidth as LibTorch sees it, with the configured threads: a sum over a
 * 512 MiB buffer (far larger than any cache; bytes read / s) and a copy of it (bytes read +
 * written / s), best of the repeats. The floor for generating a token is (weight bytes it must
 * read) / readGBs: what the memory system allows, not what a run got.
 */
export async function memoryBandwidth(repeats = 6): Promise<{ readGBs: number; copyGBs: number }> {
  return callAsync(() => addon().ops.memoryBandwidth(512, repeats));
}

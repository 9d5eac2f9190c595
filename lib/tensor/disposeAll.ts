/**
 * Disposing a loaded weight frees its memory on the calling thread: for a 125m-shaped model the
 * tensors read from a checkpoint are ~500 MB, and freeing them in one synchronous loop after
 * `loadTensors` held the event loop for tens of milliseconds. `disposeAll` lets the loop turn
 * after every few MB freed, so the longest stall is one tensor's free (the largest, OPT's token
 * embedding, is 154 MB in float32).
 */
import type { DType } from './dtypes.js';
import type { Tensor } from './Tensor.js';

const itemBytes: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, bool: 1,
};

/** Yield after this many bytes freed. */
const chunkBytes = 8 * 1024 * 1024;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Disposes every tensor, letting the event loop turn between large frees.
 * @example
 * ```ts
 * try { await native.loadTensors(byName); } finally { await disposeAll(weights.values()); }
 * ```
 */
export async function disposeAll(tensors: Iterable<Tensor>): Promise<void> {
  let freed = 0;
  for (const t of [...tensors]) {
    if (t.disposed) continue;
    freed += t.size * itemBytes[t.dtype];
    t.dispose();
    if (freed >= chunkBytes) {
      freed = 0;
      await turn();
    }
  }
}

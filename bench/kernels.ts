/**
 * `npm run bench -- kernels`: one linear layer at decode sizes, every weight dtype × kernel path
 * ('off' = LibTorch: OpenBLAS sgemv for float32, oneDNN for bfloat16, the dequantized float32
 * weights for int8), paths alternating in each round. Reports the median time per call and the
 * weight bytes streamed per second — the number to hold against the read bandwidth (printed
 * first, same threads).
 */
import { Tensor } from '../lib/index.js';
import { callAsync, callSync } from '../lib/native/call.js';
import type { NativeKernelPath, NativeTensor } from '../lib/native/contract.js';
import { addon } from '../lib/native/loader.js';
import { fmt, spread, table } from './stats.js';

const k = () => addon().kernels;

export async function benchKernels(options: { shapes?: Array<[number, number]>; batches?: number[]; dtypes?: string[]; repeats?: number; calls?: number; threads: number }) {
  const shapes = options.shapes ?? [[50272, 768], [3072, 768], [768, 3072], [8192, 2048]];
  const batches = options.batches ?? [1, 8, 16];
  const repeats = options.repeats ?? 5;
  const bandwidth = await callAsync(() => k().readBandwidth(1024, 5));
  const paths = callSync(() => k().paths()).supported;
  const rows: Array<{ out: number; in: number; dtype: string; batch: number; path: NativeKernelPath; ms: number; gbs: number }> = [];
  for (const [out, inn] of shapes) {
    const calls = options.calls ?? Math.max(3, Math.round(2e8 / (out * inn)));
    const w32 = await Tensor.from(new Float32Array(out * inn).map((_, i) => ((i * 2654435761) % 1000) / 25000 - 0.02), { shape: [out, inn] });
    const weights: Record<string, { w: NativeTensor; scale: NativeTensor | null; bytes: number }> = {
      float32: { w: w32.native, scale: null, bytes: 4 * out * inn },
    };
    const wb = await w32.to('cpu', 'bfloat16');
    weights.bfloat16 = { w: wb.native, scale: null, bytes: 2 * out * inn };
    const q = await callAsync(() => k().quantize(w32.native));
    weights.int8 = { w: q.weight, scale: q.scale, bytes: out * inn + 4 * out * Math.ceil(inn / 32) };
    for (const [dtype, { w, scale, bytes }] of Object.entries(weights)) {
      if (options.dtypes && !options.dtypes.includes(dtype)) continue;
      for (const batch of batches) {
        const x32 = await Tensor.from(new Float32Array(batch * inn).map((_, i) => Math.sin(i)), { shape: [batch, inn] });
        const x = dtype === 'bfloat16' ? await x32.to('cpu', 'bfloat16') : x32;
        const times: Record<string, number[]> = {};
        for (let r = 0; r <= repeats; r++) {
          for (const path of paths) {
            const t0 = performance.now();
            for (let c = 0; c < calls; c++) (await callAsync(() => k().linear(x.native, w, scale, null, path))).dispose();
            const ms = (performance.now() - t0) / calls;
            if (r > 0) (times[path] ??= []).push(ms);
          }
        }
        for (const path of paths) {
          const ms = spread(times[path]!).median;
          rows.push({ out, in: inn, dtype, batch, path, ms, gbs: bytes / (ms / 1000) / 1e9 });
        }
        if (x !== x32) x.dispose();
        x32.dispose();
      }
    }
    w32.dispose();
    wb.dispose();
    q.weight.dispose();
    q.scale.dispose();
  }
  return { name: 'kernels' as const, threads: options.threads, readGBs: bandwidth.readGBs, paths, rows };
}

export function renderKernels(r: Awaited<ReturnType<typeof benchKernels>>): string {
  const keyed = new Map<string, typeof r.rows>();
  for (const x of r.rows) {
    const key = `${x.out}×${x.in} ${x.dtype} b${x.batch}`;
    keyed.set(key, [...(keyed.get(key) ?? []), x]);
  }
  return [
    `One linear, median ms per call and weight GB/s; ${r.threads} threads; read bandwidth ${r.readGBs.toFixed(1)} GB/s. 'off' = LibTorch.`,
    table(['weight', 'dtype', 'batch', ...r.paths.map((p) => `${p} ms (GB/s)`)], [...keyed.values()].map((xs) => [
      `${xs[0]!.out}×${xs[0]!.in}`, xs[0]!.dtype, String(xs[0]!.batch), ...r.paths.map((p) => {
        const x = xs.find((y) => y.path === p)!;
        return `${fmt(x.ms, 3)} (${fmt(x.gbs, 1)})`;
      }),
    ])),
  ].join('\n');
}

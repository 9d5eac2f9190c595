// Decode-step profile driver (issue 13): builds a random-weight OPT at a Table-3 shape in one
// dtype, warms it up, then runs `--tokens` greedy decode steps at `--batch`, so that a sampling
// profiler (perf record -g -p <pid>) sees (almost) only decode steps.
//   node scripts/profile-decode.mjs --shape 1.3b --dtype int8 --tokens 64 [--batch 1] [--threads 2]
// Prints "ready <pid>" on stderr when the warm-up is done, and the tok/s at the end.
// --scaling R: R rounds alternating batch 1, 8 and 16 (fused step on), medians and b8 / b1, b16 / b1.
// --compare R: instead, R alternating rounds of the fused decode step (kernels.setFused(true))
// and the LibTorch step (false) in this one process; prints both medians and their ratio.
import { OPT, Tokenizer, setThreads } from '../dist/lib/index.js';
import { tableShapes } from '../dist/bench/sllm.js';
import { callSync } from '../dist/lib/native/call.js';
import { addon } from '../dist/lib/native/loader.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const shape = arg('shape', '125m'), dtype = arg('dtype', 'int8');
const tokens = Number(arg('tokens', '64')), batch = Number(arg('batch', '1')), compare = Number(arg('compare', '0'));
if (arg('threads')) setThreads(Number(arg('threads')));
const config = tableShapes[shape];
if (!config) throw new Error(`unknown shape ${shape}`);
const tokenizer = await Tokenizer.builtin('gpt2-opt');
const opt = await OPT.create(config, { tokenizer, seed: 1, dtype });
const prompt = [2, ...Array.from({ length: 15 }, (_, i) => 1000 + 37 * i)];
const inputIds = Array.from({ length: batch }, () => prompt);
const rate = async (b = batch) => {
  const ids = Array.from({ length: b }, () => prompt);
  const t0 = performance.now();
  await opt.decodeSteps({ inputIds: ids }, { maxNewTokens: tokens, ignoreEos: true });
  return (b * tokens) / ((performance.now() - t0) / 1000);
};
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
await opt.decodeSteps({ inputIds }, { maxNewTokens: 4, ignoreEos: true });
const label = `${shape} ${dtype} b${batch}${arg('threads') ? ` ${arg('threads')} thread(s)` : ''}`;
const scaling = Number(arg('scaling', '0'));
if (scaling > 0) {
  const rates = { 1: [], 8: [], 16: [] };
  for (let r = 0; r < scaling; r++) for (const b of [1, 8, 16]) rates[b].push(await rate(b));
  const [m1, m8, m16] = [med(rates[1]), med(rates[8]), med(rates[16])];
  console.log(`${shape} ${dtype} fused=${callSync(() => addon().kernels.fused())}: b1 ${m1.toFixed(1)}, b8 ${m8.toFixed(1)}, b16 ${m16.toFixed(1)} tok/s; b8 / b1 ${(m8 / m1).toFixed(2)}x, b16 / b1 ${(m16 / m1).toFixed(2)}x (medians of ${scaling} alternating rounds; prefill of 16 included)`);
} else if (compare > 0) {
  const fused = [], plain = [];
  for (let r = 0; r < compare; r++) {
    callSync(() => addon().kernels.setFused(true));
    fused.push(await rate());
    callSync(() => addon().kernels.setFused(false));
    plain.push(await rate());
  }
  callSync(() => addon().kernels.setFused(true));
  console.log(`${label}: fused ${med(fused).toFixed(1)} tok/s, LibTorch step ${med(plain).toFixed(1)} tok/s, fused / LibTorch ${(med(fused) / med(plain)).toFixed(2)}x (medians of ${compare} alternating rounds; prefill of 16 included)`);
} else {
  console.error(`ready ${process.pid}`);
  console.error(`${label}: ${(await rate()).toFixed(1)} tok/s (prefill of 16 included)`);
}
await opt.dispose();

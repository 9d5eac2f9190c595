// Decode-step profile driver (issue 13): builds a random-weight OPT at a Table-3 shape in one
// dtype, warms it up, then runs `--tokens` greedy decode steps at `--batch`, so that a sampling
// profiler (perf record -g -p <pid>) sees (almost) only decode steps.
//   node scripts/profile-decode.mjs --shape 1.3b --dtype int8 --tokens 64 [--batch 1] [--threads 2]
// Prints "ready <pid>" on stderr when the warm-up is done, and the tok/s at the end.
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
const rate = async () => {
  const t0 = performance.now();
  await opt.decodeSteps({ inputIds }, { maxNewTokens: tokens, ignoreEos: true });
  return (batch * tokens) / ((performance.now() - t0) / 1000);
};
await opt.decodeSteps({ inputIds }, { maxNewTokens: 4, ignoreEos: true });
const label = `${shape} ${dtype} b${batch}${arg('threads') ? ` ${arg('threads')} thread(s)` : ''}`;
if (compare > 0) {
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
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

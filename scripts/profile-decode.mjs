// Decode-step profile driver (issue 13): builds a random-weight OPT at a Table-3 shape in one
// dtype, warms it up, then runs `--tokens` greedy decode steps at `--batch`, so that a sampling
// profiler (perf record -g -p <pid>) or SENTENCEVAE_PROFILE=1 sees (almost) only decode steps.
// Usage: node scripts/profile-decode.mjs --shape 1.3b --dtype int8 --tokens 64 [--batch 1]
// Prints "ready <pid>" on stderr when the warm-up is done, and the tok/s at the end.
import { OPT, Tokenizer } from '../dist/lib/index.js';
import { tableShapes } from '../dist/bench/sllm.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const shape = arg('shape', '125m'), dtype = arg('dtype', 'int8');
const tokens = Number(arg('tokens', '64')), batch = Number(arg('batch', '1'));
const config = tableShapes[shape];
if (!config) throw new Error(`unknown shape ${shape}`);
const tokenizer = await Tokenizer.builtin('gpt2-opt');
const opt = await OPT.create(config, { tokenizer, seed: 1, dtype });
const prompt = [2, ...Array.from({ length: 15 }, (_, i) => 1000 + 37 * i)];
const inputIds = Array.from({ length: batch }, () => prompt);
await opt.decodeSteps({ inputIds }, { maxNewTokens: 4, ignoreEos: true });
console.error(`ready ${process.pid}`);
const t0 = performance.now();
await opt.decodeSteps({ inputIds }, { maxNewTokens: tokens, ignoreEos: true });
const s = (performance.now() - t0) / 1000;
console.error(`${shape} ${dtype} b${batch}: ${((batch * tokens) / s).toFixed(1)} tok/s (shared machine; prefill of 16 included)`);
await opt.dispose();

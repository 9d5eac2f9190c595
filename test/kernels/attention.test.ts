// Issue 13: the fused step's single-step attention (native/kernels/attention_*.cc) on contexts
// long enough to cross its 16-key blocks (the fixtures of fused-step.test.ts stop at 16 cached
// positions) and at head sizes that are not a multiple of 16 or exceed one 128-value pass:
// head_dim 8, 24, 64 and 136, batch 3 with left padding (prompts of 5, 18 and 33 tokens, so the
// padding mask is in play), 24 greedy steps (up to 57 cached positions). Every kernel path this
// CPU has (avx512 and avx2 each have their own attention code, portable is the reference) is
// compared with the LibTorch cached step (kernels.setFused(false)), tolerances as in
// fused-step.test.ts: float32 1e-4 σ, bfloat16 and int8 0.1 σ of the reference logits.
import test from 'ava';

import { OPT, Tokenizer } from '../../lib/index.js';
import { callSync } from '../../lib/native/call.js';
import type { NativeKernelPath } from '../../lib/native/contract.js';
import { addon } from '../../lib/native/loader.js';

type DType = 'float32' | 'bfloat16' | 'int8';
const bounds: Record<DType, number> = { float32: 1e-4, int8: 0.1, bfloat16: 0.1 };
const kernels = () => addon().kernels;
const prompts = [5, 18, 33].map((n, r) => [2, ...Array.from({ length: n - 1 }, (_, i) => 7 + ((r * 131 + i * 37) % 3900))]);

const std = (a: Float32Array) => {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  return Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
};

// Worst max |a - b| / σ(b's row) over steps and rows, a row compared while both runs fed it the
// same tokens (a bfloat16 near-tie may flip a greedy token; the contexts differ after it).
function worstRelative(a: Float32Array[], b: Float32Array[], vocab: number, ta: ArrayLike<number>[], tb: ArrayLike<number>[]) {
  let worst = 0;
  for (let r = 0; r < b[0]!.length / vocab; r++) {
    for (let s = 0; s < b.length; s++) {
      if (s > 0 && ta[s - 1]![r] !== tb[s - 1]![r]) break;
      const ra = a[s]!.subarray(r * vocab, (r + 1) * vocab), rb = b[s]!.subarray(r * vocab, (r + 1) * vocab);
      const sigma = std(rb);
      for (let i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(ra[i]! - rb[i]!) / sigma);
    }
  }
  return worst;
}

async function run(opt: OPT, path: NativeKernelPath, fused: boolean) {
  callSync(() => kernels().setPath(path));
  callSync(() => kernels().setFused(fused));
  try {
    return await opt.decodeSteps({ inputIds: prompts }, { maxNewTokens: 24, withLogits: true, ignoreEos: true });
  } finally {
    callSync(() => kernels().setFused(true));
    callSync(() => kernels().setPath('auto'));
  }
}

const paths = (callSync(() => kernels().paths()).supported as NativeKernelPath[]).filter((p) => p !== 'off');

for (const [hidden, heads] of [[32, 4], [48, 2], [128, 2], [272, 2]] as const) {
  for (const dtype of ['float32', 'bfloat16', 'int8'] as const) {
    test.serial(`head_dim ${hidden / heads}, ${dtype}: the fused attention of every kernel path matches the LibTorch step over 57 positions`, async (t) => {
      const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
      await using opt = await OPT.create({
        vocabSize: Math.ceil(tokenizer.vocabSize / 8) * 8, hidden, ffn: 2 * hidden, layers: 2, heads, maxPositions: 128, wordEmbedProjDim: hidden,
        preNorm: true, finalNorm: true, padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId,
      }, { tokenizer, seed: 5, dtype });
      const vocab = opt.config.vocabSize;
      // The reference: the LibTorch step with the portable linears.
      const ref = await run(opt, 'portable', false);
      for (const path of paths) {
        const got = await run(opt, path, true);
        const worst = worstRelative(got.logits, ref.logits, vocab, got.tokens, ref.tokens);
        t.log(`${path}: worst |Δlogit| / σ = ${worst.toExponential(2)}`);
        t.true(worst <= bounds[dtype], `${path}: ${worst}`);
        if (dtype === 'float32') t.deepEqual(got.tokens.map((x) => Array.from(x)), ref.tokens.map((x) => Array.from(x)), path);
      }
    });
  }
}

import { copyFileSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError, loadSafetensors, OPT } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { testDevice } from '../helpers/device.js';
import { maxAbsDiff } from '../helpers/sentences.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'opt');
const variants = ['pre-ln', 'post-ln-proj'] as const;

/** A copy of a fixture folder with only the chosen weight file. */
function only(variant: string, weights: 'pytorch_model.bin' | 'model.safetensors'): string {
  const dir = mkdtempSync(join(tmpdir(), `svae-opt-${variant}-`));
  for (const f of readdirSync(join(fixtures, variant))) {
    if (f === 'reference.safetensors' || ((f === 'pytorch_model.bin' || f === 'model.safetensors') && f !== weights)) continue;
    copyFileSync(join(fixtures, variant, f), join(dir, f));
  }
  return dir;
}

async function reference(variant: string) {
  const t = await loadSafetensors(join(fixtures, variant, 'reference.safetensors'));
  const ids = (await t.get('input_ids')!.toArray()) as BigInt64Array;
  const mask = (await t.get('attention_mask')!.toArray()) as BigInt64Array;
  const [b, l] = t.get('input_ids')!.shape as [number, number];
  const rows = Array.from({ length: b }, (_, i) => Array.from(ids.subarray(i * l, (i + 1) * l), Number));
  const masks = Array.from({ length: b }, (_, i) => Array.from(mask.subarray(i * l, (i + 1) * l), Number));
  return { rows, masks, logits: (await t.get('logits')!.toArray()) as Float32Array, b, l };
}

for (const variant of variants) {
  test(`${variant}: logits match the reference implementation (1e-4), from .bin and .safetensors`, async (t) => {
    const ref = await reference(variant);
    for (const weights of ['pytorch_model.bin', 'model.safetensors'] as const) {
      await using opt = await OPT.load(only(variant, weights), { device: testDevice });
      const { logits, dims } = await opt.forward({ inputIds: ref.rows, attentionMask: ref.masks });
      t.deepEqual(dims, [ref.b, ref.l, 4104]);
      let worst = 0;
      ref.masks.forEach((m, b) => m.forEach((on, i) => {
        if (!on) return;
        const at = (b * ref.l + i) * 4104;
        worst = Math.max(worst, maxAbsDiff(logits.subarray(at, at + 4096), ref.logits.subarray(at, at + 4096)));
      }));
      t.true(worst <= 1e-4, `${weights}: max |ours - reference| = ${worst}`);
    }
  });

  test(`${variant}: .bin (tied lm_head, fp16) and .safetensors load identical weights`, async (t) => {
    await using a = await OPT.load(only(variant, 'pytorch_model.bin'));
    await using b = await OPT.load(only(variant, 'model.safetensors'));
    const wa = a.namedTensors();
    const wb = b.namedTensors();
    t.deepEqual([...wa.keys()].sort(), [...wb.keys()].sort());
    for (const [k, x] of wa) t.deepEqual(await x.toArray(), await wb.get(k)!.toArray(), k);
  });

  test(`${variant}: full-sequence logits equal KV-cached step logits (1e-5) and a padded batch equals rows alone`, async (t) => {
    await using opt = await OPT.load(only(variant, 'model.safetensors'), { device: testDevice });
    const prompts = [[2, 100, 2000, 31], [2, 5, 600, 7, 4000, 9, 11]];
    const steps = 6;
    const batch = await opt.decodeSteps({ inputIds: prompts }, { maxNewTokens: steps, withLogits: true });
    const V = 4104;
    for (let row = 0; row < prompts.length; row++) {
      const generated = batch.tokens.map((s) => s[row]!);
      // Recompute from scratch: prompt + generated tokens, one full forward.
      const full = await opt.forward({ inputIds: [[...prompts[row]!, ...generated.slice(0, -1)]] });
      const p = prompts[row]!.length;
      let worst = 0;
      for (let s = 0; s < batch.logits.length; s++) {
        const cached = batch.logits[s]!.subarray(row * V, row * V + 4096);
        const at = (p - 1 + s) * V;
        worst = Math.max(worst, maxAbsDiff(cached, full.logits.subarray(at, at + 4096)));
      }
      t.true(worst <= 1e-5, `row ${row}: max |cached - full| = ${worst}`);
      const alone = await opt.decodeSteps({ inputIds: [prompts[row]!] }, { maxNewTokens: steps, withLogits: true });
      t.deepEqual(alone.tokens.map((s) => s[0]), generated, `row ${row}: same tokens alone as in the left-padded batch`);
      const diff = Math.max(...alone.logits.map((l, s) => maxAbsDiff(l.subarray(0, 4096), batch.logits[s]!.subarray(row * V, row * V + 4096))));
      t.true(diff <= 1e-5, `row ${row}: alone vs batch logits differ by ${diff}`);
    }
  });
}

test('generate streams tokens, calls onToken, honours maxNewTokens and AbortSignal', async (t) => {
  await using opt = await OPT.load(only('pre-ln', 'model.safetensors'), { device: testDevice });
  const seen: number[] = [];
  const texts = await opt.generate(['The jury said', 'Hello'], { maxNewTokens: 5, onToken: (e) => seen.push(e.row) });
  t.is(texts.length, 2);
  t.true(seen.length <= 10 && seen.length >= 2);
  const streamed: string[] = [];
  for await (const e of opt.stream('The jury said', { maxNewTokens: 5 })) streamed.push(e.text);
  t.is(streamed.join(''), texts[0]!);
  const controller = new AbortController();
  let count = 0;
  // An abort stops at once and rejects with the signal's reason (an AbortError by default).
  const abortError = await (async () => {
    for await (const _ of opt.stream('Hello', { maxNewTokens: 50, signal: controller.signal })) {
      if (++count === 3) controller.abort();
    }
  })().then(() => undefined, (error: unknown) => error);
  t.is((abortError as Error | undefined)?.name, 'AbortError');
  t.is(count, 3);
  const a = await opt.generate('Hello', { sample: true, seed: 5, maxNewTokens: 8 });
  t.deepEqual(await opt.generate('Hello', { sample: true, seed: 5, maxNewTokens: 8 }), a, 'seeded sampling repeats');
});

test('evaluate gives the perplexity of paragraphs', async (t) => {
  await using opt = await OPT.load(only('pre-ln', 'model.safetensors'));
  const r = await opt.evaluate(['The jury said it was fine.', 'Hello there, friend.']);
  t.true(r.tokens > 5);
  t.is(r.ppl, Math.exp(r.loss));
  t.true(r.ppl > 1);
});

test('malformed checkpoints are clear errors and never crash', async (t) => {
  // A pickle naming an unexpected global is refused before anything runs.
  const evil = only('pre-ln', 'model.safetensors');
  copyFileSync(join(fixtures, 'evil', 'pytorch_model.bin'), join(evil, 'pytorch_model.bin'));
  writeFileSync(join(evil, 'model.safetensors'), 'x');
  const { unlinkSync } = await import('node:fs');
  unlinkSync(join(evil, 'model.safetensors'));
  await t.throwsAsync(OPT.load(evil), { instanceOf: FormatError, message: /refused to read the pickle: unexpected global '(__builtin__|builtins)\.print'/ });

  const truncated = only('pre-ln', 'pytorch_model.bin');
  const bin = join(truncated, 'pytorch_model.bin');
  truncateSync(bin, readFileSync(bin).length - 5000);
  await t.throwsAsync(OPT.load(truncated), { instanceOf: FormatError });

  const wrongShape = only('pre-ln', 'model.safetensors');
  const cfg = JSON.parse(readFileSync(join(wrongShape, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(wrongShape, 'config.json'), JSON.stringify({ ...cfg, ffn_dim: 100 }));
  await t.throwsAsync(OPT.load(wrongShape), { instanceOf: FormatError, message: /weights do not match the config: wrong shape for decoder\.layers\.0\.fc1\.weight/ });

  const noWeights = only('pre-ln', 'model.safetensors');
  unlinkSync(join(noWeights, 'model.safetensors'));
  await t.throwsAsync(OPT.load(noWeights), { instanceOf: FormatError, message: /Expected model\.safetensors or pytorch_model\.bin/ });

  const notZip = only('pre-ln', 'pytorch_model.bin');
  writeFileSync(join(notZip, 'pytorch_model.bin'), Buffer.alloc(200, 1));
  await t.throwsAsync(OPT.load(notZip), { instanceOf: FormatError, message: /not a readable zip archive/ });
});

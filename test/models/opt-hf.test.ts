import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { loadSafetensors, OPT } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';
import { testDevice } from '../helpers/device.js';
import { maxAbsDiff } from '../helpers/sentences.js';

// Written by Hugging Face transformers (scripts/make-opt-fixtures.py) in a session that has it;
// skipped until those fixtures are committed.
const fixtures = join(packageRoot, 'test', 'fixtures', 'opt-hf');
const present = existsSync(fixtures);

for (const variant of ['pre-ln', 'post-ln-proj']) {
  for (const weights of ['pytorch_model.bin', 'model.safetensors']) {
    (present ? test : test.skip)(`transformers parity (${variant}, ${weights}): logits within 1e-4`, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'svae-opthf-'));
      for (const f of readdirSync(join(fixtures, variant))) {
        if (f === 'reference.safetensors' || ((f === 'pytorch_model.bin' || f === 'model.safetensors') && f !== weights)) continue;
        copyFileSync(join(fixtures, variant, f), join(dir, f));
      }
      const ref = await loadSafetensors(join(fixtures, variant, 'reference.safetensors'));
      const ids = (await ref.get('input_ids')!.toArray()) as BigInt64Array;
      const mask = (await ref.get('attention_mask')!.toArray()) as BigInt64Array;
      const expected = (await ref.get('logits')!.toArray()) as Float32Array;
      const [b, l] = ref.get('input_ids')!.shape as [number, number];
      const rows = Array.from({ length: b }, (_, i) => Array.from(ids.subarray(i * l, (i + 1) * l), Number));
      const masks = Array.from({ length: b }, (_, i) => Array.from(mask.subarray(i * l, (i + 1) * l), Number));
      await using opt = await OPT.load(dir, { device: testDevice });
      const { logits } = await opt.forward({ inputIds: rows, attentionMask: masks });
      const V = opt.config.vocabSize;
      let worst = 0;
      masks.forEach((m, r) => m.forEach((on, i) => {
        if (on) worst = Math.max(worst, maxAbsDiff(logits.subarray((r * l + i) * V, (r * l + i) * V + 4096), expected.subarray((r * l + i) * V, (r * l + i) * V + 4096)));
      }));
      t.true(worst <= 1e-4, `max |ours - transformers| = ${worst}`);
    });
  }
}

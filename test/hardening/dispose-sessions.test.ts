// Issue 15, item 4: disposing a model ends its open generations: the next step of an OPT stream,
// an OPT decodeSteps loop or an SLLM generation rejects with DisposedError instead of yielding
// the rest of its tokens.
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { DisposedError, OPT, readOptConfig, SLLM } from '../../lib/index.js';
import { callAsync, callSync } from '../../lib/native/call.js';
import { addon, packageRoot } from '../../lib/native/loader.js';

const optFolder = (): string => {
  const from = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  const dir = mkdtempSync(join(tmpdir(), 'svae-dispose-opt-'));
  for (const f of readdirSync(from)) if (f !== 'reference.safetensors' && f !== 'pytorch_model.bin') copyFileSync(join(from, f), join(dir, f));
  return dir;
};

test('OPT.stream: dispose() after the first token ends the stream with DisposedError', async (t) => {
  const opt = await OPT.load(optFolder());
  let full = 0;
  await opt.generate('The jury said', { maxNewTokens: 12, onToken: () => full++ });
  t.true(full >= 3, `the undisturbed generation yields several tokens (${full})`);
  let seen = 0;
  const error = await t.throwsAsync(async () => {
    for await (const _ of opt.stream('The jury said', { maxNewTokens: 12 })) {
      seen++;
      if (seen === 1) opt.dispose();
    }
  }, { instanceOf: DisposedError });
  t.regex(error.message, /disposed/);
  t.is(seen, 1, 'no token after dispose()');
  opt.dispose();
});

test('OPT.decodeSteps: a model disposed from onStep ends the loop with DisposedError', async (t) => {
  const opt = await OPT.load(optFolder());
  let steps = 0;
  await t.throwsAsync(
    opt.decodeSteps({ inputIds: [[2, 100, 200]] }, {
      maxNewTokens: 10, ignoreEos: true,
      onStep: (step) => {
        steps = step;
        if (step === 1) opt.dispose();
      },
    }),
    { instanceOf: DisposedError },
  );
  t.is(steps, 1);
});

test('SLLM.generate: dispose() after the first sentence ends the generation with DisposedError', async (t) => {
  const sllm = await SLLM.create({ svae: { preset: 'tiny', hidden: 64, heads: 2, ffn: 128, dropout: 0 }, llm: { layers: 1 } });
  let sentences = 0;
  await t.throwsAsync(async () => {
    for await (const _ of sllm.generate('The jury met. It said the vote was fine.', { maxSentences: 6, ignoreStop: true, maxSentenceTokens: 4 })) {
      sentences++;
      if (sentences === 1) sllm.dispose();
    }
  }, { instanceOf: DisposedError });
  t.is(sentences, 1);
});

test('natively too: a NativeOPTSession whose model was disposed rejects its next step', async (t) => {
  const config = await readOptConfig(optFolder());
  const native = await callAsync(() => addon().NativeOPT.create({ ...config, tokenizerSize: config.vocabSize }, 'cpu', 'float32', 0));
  const session = callSync(() => native.generate(Int32Array.of(2, 100, 200), [1, 3], Uint8Array.of(1, 1, 1), { maxNewTokens: 8 }));
  await callAsync(() => session.next());
  native.dispose();
  await t.throwsAsync(callAsync(() => session.next()), { instanceOf: DisposedError, message: 'The OPT model of this generation has been disposed' });
  session.dispose();
});

/**
 * Tokenizer.fromPretrained shares one Tokenizer per unchanged folder while it is in use
 * (text/folderCache.ts): the `tokenizers` binding frees each copy on the main thread when it is
 * collected (6-8 ms at 50k ids; several together held the event loop 30-45 ms under perf), so a
 * model load must not leave a second copy of the tokenizer the caller already loaded. A changed
 * file must load afresh, and errors must stay the loader's own.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError, Tokenizer } from '../../lib/index.js';

function copyOfBuiltin(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'svae-tok-share-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'tok');
  cpSync(Tokenizer.builtinPath('gpt2-opt-4k'), dir, { recursive: true });
  return dir;
}

test('the same unchanged folder gives the same Tokenizer, also through a symlink and to concurrent calls', async (t) => {
  const dir = copyOfBuiltin(t);
  const [a, b] = await Promise.all([Tokenizer.fromPretrained(dir), Tokenizer.fromPretrained(dir)]);
  t.is(a, b);
  t.is(await Tokenizer.fromPretrained(dir), a);
  const link = `${dir}-link`;
  symlinkSync(dir, link);
  t.is(await Tokenizer.fromPretrained(link), a);
  t.deepEqual(Array.from(await a.encode('Shared, not copied.')), Array.from(await (await Tokenizer.fromPretrained(dir)).encode('Shared, not copied.')));
});

test('an edited file loads afresh, with what the new file says', async (t) => {
  const dir = copyOfBuiltin(t);
  const before = await Tokenizer.fromPretrained(dir);
  t.is(before.padId, 1);
  writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify({ bos_token: '</s>', eos_token: '</s>', pad_token: '</s>', unk_token: '<unk>' }));
  const after = await Tokenizer.fromPretrained(dir);
  t.not(after, before);
  t.is(after.padId, 2);
  t.is(before.padId, 1); // the earlier object is unchanged: Tokenizers are immutable
  t.is(await Tokenizer.fromPretrained(dir), after);
});

test('a copy of the files in another folder is its own Tokenizer', async (t) => {
  const a = await Tokenizer.fromPretrained(copyOfBuiltin(t));
  const b = await Tokenizer.fromPretrained(copyOfBuiltin(t));
  t.not(a, b);
  t.not(a.source, b.source);
});

test('a failed load is not remembered, and a missing folder keeps its own error', async (t) => {
  const dir = copyOfBuiltin(t);
  const tokenizerJson = join(dir, 'tokenizer.json');
  const good = (await import('node:fs')).readFileSync(tokenizerJson);
  writeFileSync(tokenizerJson, '{ not json');
  await t.throwsAsync(Tokenizer.fromPretrained(dir), { instanceOf: FormatError });
  writeFileSync(tokenizerJson, good);
  const tok = await Tokenizer.fromPretrained(dir);
  t.true(tok.vocabSize > 0);
  const missing = join(dir, 'nope');
  await t.throwsAsync(Tokenizer.fromPretrained(missing), { instanceOf: FormatError, message: `Expected tokenizer.json, or vocab.json and merges.txt, in ${missing} but found neither` });
});

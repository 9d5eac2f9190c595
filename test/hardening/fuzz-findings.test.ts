// Findings of `npm run fuzz` after the hardening merges (docs/testing.md): a hang on a zero read
// chunk, Node's own TypeErrors for non-string paths, a bare RangeError for a dataset index, and
// "found undefined" in a config message. Each must be a SentenceVaeError with the house wording.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import {
  brownParagraphs, brownSentences, detokenizeBrown, FormatError, InvalidArgumentError, MetricsLog, loadTorchCheckpoint, readCheckpoint, readJsonl, readLines,
  readOptConfig, readOptWeights, SentenceDataset, Tokenizer, writeCurves,
} from '../../lib/index.js';
import { readZipDirectory } from '../../lib/internal.js';

async function drain<T>(it: AsyncIterable<T>): Promise<void> {
  for await (const _ of it) { /* read everything */ }
}

test('readLines with chunkBytes 0 is an InvalidArgumentError, not an endless read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-fuzz-'));
  const file = join(dir, 'a.txt');
  writeFileSync(file, 'one\ntwo\n');
  await t.throwsAsync(drain(readLines(file, { chunkBytes: 0 })), { instanceOf: InvalidArgumentError, message: /chunkBytes/ });
  await t.throwsAsync(drain(readLines(file, { chunkBytes: 'cpu' as unknown as number })), { instanceOf: InvalidArgumentError });
  const lines: string[] = [];
  for await (const l of readLines(file, { chunkBytes: 1 })) lines.push(l.text);
  t.deepEqual(lines, ['one', 'two']);
});

test('readers given a non-string path say so in the house wording', async (t) => {
  const bad = [undefined, 42, ['x'], {}] as unknown as string[];
  for (const p of bad) {
    for (const call of [
      () => readOptConfig(p), () => readOptWeights(p), () => readCheckpoint(p), () => loadTorchCheckpoint(p),
      () => readZipDirectory(p), () => writeCurves(p, []), () => drain(readJsonl(p)), () => drain(readLines(p)),
    ]) {
      const error = await t.throwsAsync(call(), { instanceOf: InvalidArgumentError });
      t.regex(error!.message, /^Expected .* but received /);
      t.notRegex(error!.message, /^undefined:/);
    }
  }
});

test('detokenizeBrown, idToToken and dataset indices reject bad arguments with typed errors', async (t) => {
  t.throws(() => detokenizeBrown({} as unknown as string), { instanceOf: InvalidArgumentError });
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  t.throws(() => tokenizer.idToToken('x' as unknown as number), { instanceOf: InvalidArgumentError });
  t.throws(() => tokenizer.idToToken(-1), { instanceOf: InvalidArgumentError });
  const ds = await SentenceDataset.fromParagraphs(['A sentence.'], tokenizer);
  t.throws(() => ds.get(ds.size), { instanceOf: InvalidArgumentError, message: /^Expected an index in \[0, 1\) for index but received 1/ });
});

test("a config.json without a required field says 'found none', not 'found undefined'", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-fuzz-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'opt' }));
  const error = await t.throwsAsync(readOptConfig(dir), { instanceOf: FormatError });
  t.notRegex(error!.message, /undefined/);
  t.regex(error!.message, /but found none/);
});

test('brownSentences and brownParagraphs check their counts before reading the corpus', async (t) => {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  await t.throwsAsync(brownSentences(tokenizer, 'tiny' as unknown as number, 20), { instanceOf: InvalidArgumentError, message: /for count/ });
  await t.throwsAsync(brownParagraphs(-1), { instanceOf: InvalidArgumentError, message: /for count/ });
  t.throws(() => new MetricsLog(undefined as unknown as string), { instanceOf: InvalidArgumentError });
  t.is((await brownSentences(tokenizer, 3, 20)).length, 3);
});

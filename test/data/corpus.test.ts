import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { detokenizeBrown, FormatError, readCorpus, readJsonl, readLines, readPlainText, splitOf, type Paragraph } from '../../lib/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'svae-corpus-'));
const collect = async (it: AsyncIterable<Paragraph>) => {
  const out: Paragraph[] = [];
  for await (const p of it) out.push(p);
  return out;
};

test('plain text: paragraphs are blocks separated by blank lines, with their line numbers', async (t) => {
  const dir = tmp();
  const file = join(dir, 'a.txt');
  writeFileSync(file, '\ufeffFirst line.\r\nSecond line.\r\n\r\n\r\nNext paragraph.\n   \nLast');
  const paras = await collect(readPlainText(file));
  t.deepEqual(paras.map((p) => p.text), ['First line.\nSecond line.', 'Next paragraph.', 'Last']);
  t.deepEqual(paras.map((p) => p.source.line), [1, 5, 7]);
  const unwrapped = await collect(readPlainText(file, { lineJoin: ' ' }));
  t.is(unwrapped[0]!.text, 'First line. Second line.');
});

test('lines are the same whatever the read chunk size', async (t) => {
  const file = join(tmp(), 'b.txt');
  const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)} 🙂`);
  writeFileSync(file, lines.join('\n'));
  for (const chunkBytes of [1, 7, 64, 1 << 20]) {
    const got: string[] = [];
    for await (const l of readLines(file, { chunkBytes })) got.push(l.text);
    t.deepEqual(got, lines, `chunkBytes ${chunkBytes}`);
  }
});

test('invalid UTF-8 is reported with the file and line', async (t) => {
  const file = join(tmp(), 'bad.txt');
  writeFileSync(file, Buffer.concat([Buffer.from('ok\nstill ok\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from('\nafter\n')]));
  const error = await t.throwsAsync(collect(readPlainText(file)), { instanceOf: FormatError });
  t.is(error.message, `${file}:3: invalid UTF-8`);
  t.is(error.line, 3);
  await t.throwsAsync(collect(readPlainText(join(tmp(), 'missing.txt'))), { instanceOf: FormatError, message: /no such file/ });
});

test('JSONL: a configurable text field; bad lines name file and line', async (t) => {
  const dir = tmp();
  const file = join(dir, 'c.jsonl');
  writeFileSync(file, '{"body": "One."}\n\n{"body": "Two, three."}\n');
  t.deepEqual((await collect(readJsonl(file, { field: 'body' }))).map((p) => [p.text, p.source.line]), [['One.', 1], ['Two, three.', 3]]);
  await t.throwsAsync(collect(readJsonl(file)), { instanceOf: FormatError, message: `${file}:1: expected a string field 'text' but found none` });
  const broken = join(dir, 'd.jsonl');
  writeFileSync(broken, '{"text": "fine"}\n{"text": \n');
  await t.throwsAsync(collect(readJsonl(broken)), { instanceOf: FormatError, message: new RegExp(`${broken}:2: invalid JSON`) });
});

test('readCorpus walks folders in sorted order and dispatches by extension', async (t) => {
  const dir = tmp();
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'b.txt'), 'B text.');
  writeFileSync(join(dir, 'a.jsonl'), '{"text": "A text."}\n');
  writeFileSync(join(dir, 'sub', 'c.md'), 'C text.');
  writeFileSync(join(dir, 'ignored.bin'), 'x');
  t.deepEqual((await collect(readCorpus(dir))).map((p) => p.text), ['A text.', 'B text.', 'C text.']);
});

test('Brown: tags stripped and text detokenized; 15,667 paragraphs', async (t) => {
  t.is(
    detokenizeBrown("``/`` Only/rb a/at handful/nn ''/'' ,/, the/at jury/nn said/vbd (/( in/in Atlanta's/np$ case/nn )/) ./."),
    '"Only a handful", the jury said (in Atlanta\'s case).',
  );
  let count = 0;
  let first = '';
  for await (const p of readCorpus('brown')) {
    if (count === 0) first = p.text;
    count++;
  }
  t.is(count, 15667);
  t.true(first.startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence"'));
});

test('the train/validation split is deterministic and close to the asked fraction', (t) => {
  const texts = Array.from({ length: 20000 }, (_, i) => `paragraph number ${i}`);
  const held = texts.filter((x) => splitOf(x, { validationFraction: 0.05 }) === 'validation').length;
  t.true(held > 800 && held < 1200, `${held} held out of 20000`);
  t.is(splitOf('same text'), splitOf('same text'));
  t.not(
    texts.filter((x) => splitOf(x, { validationFraction: 0.05, seed: 1 }) === 'validation').join(),
    texts.filter((x) => splitOf(x, { validationFraction: 0.05 }) === 'validation').join(),
  );
});

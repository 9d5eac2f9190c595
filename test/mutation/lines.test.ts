/**
 * lib/data/lines.ts, for `npm run mutate -- lib/data/lines.ts`: Brown text read back line for line
 * at every chunk size, the BOM only at the very start, CRLF, a last line without '\n', the line
 * of the first invalid UTF-8 byte across chunks, the chunk size's range, and the errors' wording.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { readLines, type Line } from '../../lib/data/lines.js';
import { FormatError } from '../../lib/errors/FormatError.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { firstBrown } from './brownText.js';

const any = (v: unknown) => v as never;
const tmp = () => mkdtempSync(join(tmpdir(), 'svae-linesm-'));
const read = async (path: string, chunkBytes?: number) => {
  const out: Line[] = [];
  for await (const l of readLines(path, chunkBytes === undefined ? {} : { chunkBytes })) out.push(l);
  return out;
};

test('Brown lines read back exactly at every chunk size, numbered from 1; CRLF and a final line without a newline', async (t) => {
  const brown = await firstBrown(30);
  const lines = [...brown, '', 'é🙂 last'];
  const file = join(tmp(), 'brown.txt');
  writeFileSync(file, lines.map((l, i) => (i % 3 === 0 ? `${l}\r` : l)).join('\n'));
  const want = lines.map((text, i) => ({ text, line: i + 1 }));
  for (const chunk of [undefined, 1, 2, 3, 5, 64, 4096]) t.deepEqual(await read(file, chunk), want, `chunkBytes ${chunk}`);
  const trailing = join(tmp(), 't.txt');
  writeFileSync(trailing, 'a\nb\n');
  t.deepEqual(await read(trailing, 1), [{ text: 'a', line: 1 }, { text: 'b', line: 2 }]);
  const empty = join(tmp(), 'e.txt');
  writeFileSync(empty, '');
  t.deepEqual(await read(empty), []);
  const cr = join(tmp(), 'cr.txt');
  writeFileSync(cr, 'a\r\r\nb\rc');
  t.deepEqual((await read(cr)).map((l) => l.text), ['a\r', 'b\rc']);
});

test('a BOM is dropped at the start of the file only, whatever the chunk size', async (t) => {
  const file = join(tmp(), 'bom.txt');
  writeFileSync(file, '\ufeffone\n\ufefftwo\nthree');
  for (const chunk of [1, 4, 1024]) t.deepEqual((await read(file, chunk)).map((l) => l.text), ['one', '\ufefftwo', 'three']);
  const late = join(tmp(), 'late.txt');
  writeFileSync(late, 'x\ufeff\n');
  t.deepEqual((await read(late)).map((l) => l.text), ['x\ufeff']);
});

test('invalid UTF-8: the file and the line of the first bad byte, across chunks', async (t) => {
  const file = join(tmp(), 'bad.txt');
  const lines = ['ok', 'fine', 'still fine', 'bad \u0000', 'after'];
  const bytes = Buffer.from(lines.join('\n'));
  bytes[bytes.indexOf(0)] = 0xff;
  writeFileSync(file, bytes);
  for (const chunk of [1, 7, 1 << 20]) {
    const error = await t.throwsAsync(read(file, chunk), { instanceOf: FormatError, message: `${file}:4: invalid UTF-8` });
    t.is((error as FormatError & { line?: number }).line, 4);
    t.is((error as FormatError & { path?: string }).path, file);
  }
  const first = join(tmp(), 'first.txt');
  writeFileSync(first, Buffer.from([0xc3, 0x28, 10, 0x41]));
  await t.throwsAsync(read(first), { instanceOf: FormatError, message: `${first}:1: invalid UTF-8` });
  const last = join(tmp(), 'last.txt');
  writeFileSync(last, Buffer.concat([Buffer.from('a\nb\n'), Buffer.from([0xe2, 0x82])]));
  await t.throwsAsync(read(last, 2), { instanceOf: FormatError, message: `${last}:3: invalid UTF-8` });
});

test('chunkBytes in [1, 2^30]; path a string; a missing file or a folder is a FormatError naming it', async (t) => {
  const file = join(tmp(), 'a.txt');
  writeFileSync(file, 'x');
  t.deepEqual(await read(file, 1 << 30), [{ text: 'x', line: 1 }]);
  await t.throwsAsync(read(file, 0), { instanceOf: InvalidArgumentError, message: 'Expected integer between 1 and 1073741824 for chunkBytes but received 0 of type number' });
  await t.throwsAsync(read(file, 2 ** 30 + 1), { instanceOf: InvalidArgumentError, message: /for chunkBytes but received 1073741825/ });
  await t.throwsAsync(read(any(5)), { instanceOf: InvalidArgumentError, message: /^Expected string for path but received 5/ });
  const gen = readLines(file, any('x'));
  await t.throwsAsync(gen.next(), { instanceOf: InvalidArgumentError, message: /^Expected options object for options but received/ });
  const missing = join(tmp(), 'missing.txt');
  await t.throwsAsync(read(missing), { instanceOf: FormatError, message: /no such file/ });
  const dir = join(tmp(), 'dir.txt');
  mkdirSync(dir);
  await t.throwsAsync(read(dir), { instanceOf: FormatError, message: new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) });
});

test('invalid UTF-8 after a first empty line is reported on its own line', async (t) => {
  const file = join(tmp(), 'empty-first.txt');
  writeFileSync(file, Buffer.concat([Buffer.from('\nok\n'), Buffer.from([0xff]), Buffer.from('\n')]));
  await t.throwsAsync(read(file), { instanceOf: FormatError, message: `${file}:3: invalid UTF-8` });
  const second = join(tmp(), 'empty-first-2.txt');
  writeFileSync(second, Buffer.concat([Buffer.from('\n'), Buffer.from([0xff])]));
  await t.throwsAsync(read(second), { instanceOf: FormatError, message: `${second}:2: invalid UTF-8` });
});

test('a read error in the middle of the stream is a FormatError naming the file (Linux: /proc/self/mem reads EIO)', async (t) => {
  if (process.platform !== 'linux') {
    t.pass('needs /proc/self/mem');
    return;
  }
  const error = await t.throwsAsync(read('/proc/self/mem'), { instanceOf: FormatError, message: '/proc/self/mem: EIO: i/o error, read' });
  t.is((error as FormatError & { path?: string }).path, '/proc/self/mem');
});

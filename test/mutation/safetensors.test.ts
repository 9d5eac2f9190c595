/**
 * lib/io/safetensors.ts, written against the survivors of `npm run mutate -- lib/io/safetensors.ts`:
 * every refusal of a malformed header with its exact message (bounds at their edges: 8 bytes,
 * a 100 MiB header, a header ending exactly at EOF), the header fields read back exactly, the
 * sort's tie-break, `names`, and what saveSafetensors writes (sorted names, no empty metadata,
 * 8-byte alignment, its argument errors).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError } from '../../lib/errors/FormatError.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../../lib/io/safetensors.js';
import { Tensor } from '../../lib/tensor/Tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'svae-mut-st-'));
let n = 0;
const any = (v: unknown) => v as never;

/** A file: 8-byte length (default: the JSON's), the header bytes, the data. */
function craft(header: unknown, data: Buffer = Buffer.alloc(0), length?: bigint): string {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(json.length));
  const path = join(dir, `f${n++}.safetensors`);
  writeFileSync(path, Buffer.concat([prefix, json, data]));
  return path;
}

async function refuses(t: import('ava').ExecutionContext, path: string, why: string | RegExp): Promise<void> {
  const error = await t.throwsAsync(readSafetensorsHeader(path), { instanceOf: FormatError });
  const prefix = `${path}: not a valid safetensors file: `;
  t.true(error!.message.startsWith(prefix), error!.message);
  if (typeof why === 'string') t.is(error!.message.slice(prefix.length), why);
  else t.regex(error!.message.slice(prefix.length), why);
  t.is((error as FormatError).path, path);
}

test('the file and header length: fewer than 8 bytes, over 100 MiB, past the end, exactly at the end', async (t) => {
  const seven = join(dir, 'seven');
  writeFileSync(seven, Buffer.alloc(7));
  await refuses(t, seven, 'the file has 7 bytes, fewer than the 8-byte header length');
  await refuses(t, craft(''), /^the header is not valid JSON \(/); // exactly 8 bytes: an empty header
  await refuses(t, craft('{}', Buffer.alloc(0), 100n * 1024n * 1024n + 1n), 'header length 104857601 is over the 104857600-byte limit');
  await refuses(t, craft('{}', Buffer.alloc(0), 100n * 1024n * 1024n), 'header length 104857600 runs past the end of the file (10 bytes): truncated?');
  await refuses(t, craft('{}', Buffer.alloc(0), 3n), 'header length 3 runs past the end of the file (10 bytes): truncated?');
  const exact = await readSafetensorsHeader(craft('{}'));
  t.deepEqual(exact, { path: exact.path, entries: [], metadata: {}, dataStart: 10, fileSize: 10 });
});

test('a non-string path is named; the file is closed after each read, valid or not', async (t) => {
  await t.throwsAsync(readSafetensorsHeader(any(5)), { instanceOf: InvalidArgumentError, message: 'Expected string for path but received 5 of type number' });
  const { readdirSync } = await import('node:fs');
  const open = () => readdirSync('/proc/self/fd').length;
  const good = craft('{}');
  const bad = craft('{}', Buffer.alloc(0), 99n);
  await readSafetensorsHeader(good); // warm up whatever the first call opens once
  const before = open();
  for (let i = 0; i < 20; i++) {
    await readSafetensorsHeader(good);
    await t.throwsAsync(readSafetensorsHeader(bad), { instanceOf: FormatError });
  }
  t.true(open() - before < 5, `${open() - before} more open files`);
});

test('header bytes: invalid UTF-8, invalid JSON, not an object', async (t) => {
  await refuses(t, craft(Buffer.from([0x7b, 0xff, 0x7d])), 'the header is not valid UTF-8');
  await refuses(t, craft('{"a": '), /^the header is not valid JSON \(.+\)$/);
  for (const h of ['null', '[]', '5', '"x"', 'true']) await refuses(t, craft(h), 'the header is not a JSON object');
});

test('__metadata__: strings to strings only; kept when valid, empty when absent', async (t) => {
  for (const m of [null, [], 'x', 5, { a: 1 }, { a: 'x', b: null }]) {
    await refuses(t, craft({ __metadata__: m }), '__metadata__ must map strings to strings');
  }
  t.deepEqual((await readSafetensorsHeader(craft({ __metadata__: { a: 'x', b: '' } }))).metadata, { a: 'x', b: '' });
  t.deepEqual((await readSafetensorsHeader(craft({ __metadata__: {} }))).metadata, {});
});

test('entries: not an object, dtype, shape and data_offsets problems, each named', async (t) => {
  const e = (entry: unknown, data = Buffer.alloc(0)) => craft({ a: entry }, data);
  await refuses(t, e(null), "entry 'a' is not an object");
  await refuses(t, e(5), "entry 'a' is not an object");
  await refuses(t, e({ shape: [1], data_offsets: [0, 4] }), "entry 'a' has no dtype");
  await refuses(t, e({ dtype: 'F8', shape: [1], data_offsets: [0, 4] }), 'entry \'a\' has unsupported dtype "F8"');
  await refuses(t, e({ dtype: 5, shape: [1], data_offsets: [0, 4] }), "entry 'a' has unsupported dtype 5");
  await refuses(t, e({ dtype: 'toString', shape: [1], data_offsets: [0, 4] }), 'entry \'a\' has unsupported dtype "toString"');
  await refuses(t, e({ dtype: 'F32', data_offsets: [0, 4] }), "entry 'a' has no shape");
  await refuses(t, e({ dtype: 'F32', shape: 'x', data_offsets: [0, 4] }), 'entry \'a\' has an invalid shape "x"');
  await refuses(t, e({ dtype: 'F32', shape: [2, -1], data_offsets: [0, 4] }), "entry 'a' has an invalid shape [2,-1]");
  await refuses(t, e({ dtype: 'F32', shape: [1.5], data_offsets: [0, 4] }), "entry 'a' has an invalid shape [1.5]");
  await refuses(t, e({ dtype: 'F32', shape: [2 ** 53], data_offsets: [0, 4] }), "entry 'a' has an invalid shape [9007199254740992]");
  await refuses(t, e({ dtype: 'F32', shape: ['1'], data_offsets: [0, 4] }), 'entry \'a\' has an invalid shape ["1"]');
  await refuses(t, e({ dtype: 'F32', shape: [1] }), "entry 'a' has no data_offsets");
  for (const offsets of [[0], [0, 4, 8], [-1, 3], [4, 0], [0, 4.5], [0, '4'], 'x', [0, 2 ** 53]]) {
    await refuses(t, e({ dtype: 'F32', shape: [1], data_offsets: offsets }), `entry 'a' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  await refuses(t, e({ dtype: 'F32', shape: [2], data_offsets: [0, 4] }, Buffer.alloc(4)), "entry 'a' (F32 [2]) needs 8 bytes but data_offsets span 4");
  await refuses(t, e({ dtype: 'I64', shape: [1, 2], data_offsets: [4, 4] }), "entry 'a' (I64 [1,2]) needs 16 bytes but data_offsets span 0");
});

test('every dtype name and entry field is read back exactly; data start and file size', async (t) => {
  const sizes = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
  const names = { F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool' } as const;
  const header: Record<string, unknown> = {};
  const expected = [];
  let at = 0;
  for (const [code, size] of Object.entries(sizes)) {
    header[code] = { dtype: code, shape: [3], data_offsets: [at, at + 3 * size] };
    expected.push({ name: code, dtype: names[code as keyof typeof names], shape: [3], begin: at, end: at + 3 * size });
    at += 3 * size;
  }
  const path = craft(header, Buffer.alloc(at));
  const json = Buffer.byteLength(JSON.stringify(header));
  t.deepEqual(await readSafetensorsHeader(path), { path, entries: expected, metadata: {}, dataStart: 8 + json, fileSize: 8 + json + at });
});

test('data layout: overlaps, holes, missing and extra bytes, and ties broken by the end offset', async (t) => {
  const f32 = (begin: number, count = 1) => ({ dtype: 'F32', shape: [count], data_offsets: [begin, begin + 4 * count] });
  await refuses(t, craft({ a: f32(0, 2), b: f32(4) }, Buffer.alloc(8)), "entry 'b' overlaps another tensor (offset 4 < 8)");
  await refuses(t, craft({ a: f32(0), b: f32(8) }, Buffer.alloc(12)), "a hole of 4 bytes before entry 'b'");
  await refuses(t, craft({ a: f32(4) }, Buffer.alloc(8)), "a hole of 4 bytes before entry 'a'");
  await refuses(t, craft({ a: f32(0, 2) }, Buffer.alloc(4)), 'tensor data needs 8 bytes but the file holds 4: truncated?');
  await refuses(t, craft({ a: f32(0) }, Buffer.alloc(7)), '3 bytes after the last tensor');
  await refuses(t, craft({}, Buffer.alloc(1)), '1 bytes after the last tensor');
  // An empty tensor and a full one at the same offset, the full one listed first: valid.
  const tie = await readSafetensorsHeader(craft({ a: f32(0), e: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } }, Buffer.alloc(4)));
  t.deepEqual(tie.entries.map((x) => x.name), ['a', 'e']);
  // Exactly covered with several tensors in header order ≠ data order.
  const ok = await readSafetensorsHeader(craft({ b: f32(4), a: f32(0), c: f32(8, 2) }, Buffer.alloc(16)));
  t.deepEqual(ok.entries.map((x) => [x.name, x.begin, x.end]), [['b', 4, 8], ['a', 0, 4], ['c', 8, 16]]);
});

test('loadSafetensors: all tensors, the names asked for, and missing names listed', async (t) => {
  const data = Buffer.from(new Float32Array([1, 2, 3]).buffer);
  const path = craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, data);
  const all = await loadSafetensors(path);
  t.deepEqual([...all.keys()], ['a', 'b']);
  t.deepEqual(Array.from((await all.get('b')!.toArray()) as Float32Array), [2, 3]);
  const some = await loadSafetensors(path, { names: ['b'] });
  t.deepEqual([...some.keys()], ['b']);
  t.deepEqual(Array.from((await some.get('b')!.toArray()) as Float32Array), [2, 3]);
  t.is((await loadSafetensors(path, { names: [] })).size, 0);
  await t.throwsAsync(loadSafetensors(path, { names: any(5) }), { instanceOf: InvalidArgumentError, message: 'Expected array of tensor names for names but received 5 of type number' });
  await t.throwsAsync(loadSafetensors(path, { names: any([7]) }), { instanceOf: InvalidArgumentError, message: 'Expected string for names[0] but received 7 of type number' });
  await t.throwsAsync(loadSafetensors(path, any(null)), { instanceOf: InvalidArgumentError, message: 'Expected options object for options but received null' });
  const missing = await t.throwsAsync(loadSafetensors(path, { names: ['a', 'x', 'y'] }), { instanceOf: FormatError, message: `${path}: no tensor named x, y` });
  t.is((missing as FormatError).path, path);
  for (const m of [all, some]) for (const x of m.values()) x.dispose();
});

test('saveSafetensors: names sorted, no empty __metadata__, 8-byte aligned data for every header length', async (t) => {
  for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
    const path = join(dir, `s${n++}.safetensors`);
    const x = await Tensor.from(new Float32Array([1]));
    const y = await Tensor.from(new Int32Array([2, 3]));
    await saveSafetensors(path, { [`z${name}`]: x, [name]: y, m: x });
    const raw = readFileSync(path);
    const length = Number(raw.readBigUInt64LE(0));
    t.is((8 + length) % 8, 0, name);
    t.true(length - Buffer.byteLength(raw.subarray(8, 8 + length).toString().trimEnd()) < 8, name);
    const header = JSON.parse(raw.subarray(8, 8 + length).toString());
    t.deepEqual(Object.keys(header), [name, 'm', `z${name}`].sort());
    t.deepEqual(header[name], { dtype: 'I32', shape: [2], data_offsets: [0, 8] });
    t.is(raw.length, 8 + length + 16);
    x.dispose();
    y.dispose();
  }
  const path = join(dir, 'meta.safetensors');
  const x = await Tensor.from(new Float64Array([1]));
  await saveSafetensors(path, new Map([['b', x], ['a', x]]), { k: 'v' });
  const raw = readFileSync(path);
  const header = JSON.parse(raw.subarray(8, 8 + Number(raw.readBigUInt64LE(0))).toString());
  t.deepEqual(header, { __metadata__: { k: 'v' }, a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] }, b: { dtype: 'F64', shape: [1], data_offsets: [8, 16] } });
  x.dispose();
});

test('saveSafetensors: argument errors name the argument', async (t) => {
  const x = await Tensor.from(new Float32Array([1]));
  const path = join(dir, 'bad.safetensors');
  const refuse = (call: () => Promise<void>, message: string) => t.throwsAsync(call(), { instanceOf: InvalidArgumentError, message });
  await refuse(() => saveSafetensors(any(5), { a: x }), 'Expected string for path but received 5 of type number');
  await refuse(() => saveSafetensors(path, any(null)), 'Expected Map or record of name -> Tensor for tensors but received null');
  await refuse(() => saveSafetensors(path, any([x])), 'Expected Map or record of name -> Tensor for tensors but received an array');
  await refuse(() => saveSafetensors(path, any('x')), "Expected Map or record of name -> Tensor for tensors but received 'x' of type string");
  await refuse(() => saveSafetensors(path, { a: x }, any(null)), 'Expected record of string -> string for metadata but received null');
  await refuse(() => saveSafetensors(path, { a: x }, any([])), 'Expected record of string -> string for metadata but received an array');
  await refuse(() => saveSafetensors(path, { a: x }, any(7)), 'Expected record of string -> string for metadata but received 7 of type number');
  await refuse(() => saveSafetensors(path, { a: x }, any({ k: 1 })), "Expected string for metadata['k'] but received 1 of type number");
  await refuse(() => saveSafetensors(path, { '': x }), "Expected non-empty string for tensor name but received '' of type string");
  await refuse(() => saveSafetensors(path, { __metadata__: x }), "Expected a tensor name other than '__metadata__' (reserved by safetensors for metadata) but received '__metadata__'");
  await refuse(() => saveSafetensors(path, new Map([[any(3), x]])), 'Expected non-empty string for tensor name but received 3 of type number');
  await refuse(() => saveSafetensors(path, { a: any(new Float32Array(1)) }), "Expected Tensor for tensors['a'] but received a Float32Array");
  x.dispose();
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError, loadSafetensors, readSafetensorsHeader, saveSafetensors, Tensor } from '../../lib/index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'svae-st-'));

/** A safetensors file from a header object and raw data (for malformed cases). */
function craft(path: string, header: unknown, data: Buffer, headerLengthOverride?: bigint): void {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(headerLengthOverride ?? BigInt(json.length));
  writeFileSync(path, Buffer.concat([prefix, json, data]));
}

test('round trip of every dtype, with metadata, 8-byte aligned data', async (t) => {
  const path = join(dir(), 'all.safetensors');
  const tensors = new Map<string, Tensor>([
    ['f32', await Tensor.from(new Float32Array([1.5, -2, 3, 4, 5, 6]), { shape: [2, 3] })],
    ['f64', await Tensor.from(new Float64Array([Math.PI]))],
    ['f16', await Tensor.from(new Uint16Array([0x3c00, 0xc000]), { dtype: 'float16' })],
    ['bf16', await Tensor.from(new Uint16Array([0x3f80]), { dtype: 'bfloat16' })],
    ['i64', await Tensor.from(new BigInt64Array([-5n, 2n ** 40n]))],
    ['i32', await Tensor.from(new Int32Array([7]))],
    ['i8', await Tensor.from(new Int8Array([-3, 3, 0]))],
    ['u8', await Tensor.from(new Uint8Array([255]))],
    ['bool', await Tensor.from(new Uint8Array([1, 0]), { dtype: 'bool' })],
    ['empty', await Tensor.from(new Float32Array(0), { shape: [0, 4] })],
  ]);
  await saveSafetensors(path, tensors, { note: 'hello' });
  const header = await readSafetensorsHeader(path);
  t.deepEqual(header.metadata, { note: 'hello' });
  t.is(header.dataStart % 8, 0);
  const loaded = await loadSafetensors(path);
  t.deepEqual([...loaded.keys()].sort(), [...tensors.keys()].sort());
  for (const [name, original] of tensors) {
    const back = loaded.get(name)!;
    t.deepEqual(back.shape, original.shape, name);
    t.is(back.dtype, original.dtype, name);
    t.deepEqual(await back.toArray(), await original.toArray(), name);
  }
  const some = await loadSafetensors(path, { names: ['i32'] });
  t.deepEqual([...some.keys()], ['i32']);
  await t.throwsAsync(loadSafetensors(path, { names: ['nope'] }), { instanceOf: FormatError, message: /no tensor named nope/ });
});

test('the header format of the reference implementation is read', async (t) => {
  // Written by hand as the Python library writes it: sorted offsets, F32 little-endian.
  const path = join(dir(), 'ref.safetensors');
  const data = Buffer.alloc(16);
  [1, 2, 3, 4].forEach((v, i) => data.writeFloatLE(v, i * 4));
  craft(path, { __metadata__: { format: 'pt' }, 'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, data);
  const loaded = await loadSafetensors(path);
  t.deepEqual(Array.from((await loaded.get('a.weight')!.toArray()) as Float32Array), [1, 2, 3, 4]);
});

const f32 = (n: number) => Buffer.alloc(4 * n);
const malformed: Array<[string, (path: string) => void, RegExp]> = [
  ['shorter than 8 bytes', (p) => writeFileSync(p, Buffer.from([1, 2, 3])), /fewer than the 8-byte header length/],
  ['header length past the end', (p) => craft(p, { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1), 10_000n), /runs past the end of the file/],
  ['absurd header length', (p) => craft(p, {}, f32(0), 2n ** 60n), /over the 104857600-byte limit/],
  ['header not JSON', (p) => craft(p, '{"a": ', f32(1)), /not valid JSON/],
  ['header not an object', (p) => craft(p, '[1, 2]', f32(0)), /not a JSON object/],
  ['unknown dtype', (p) => craft(p, { a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /unsupported dtype "F8_E4M3"/],
  ['bad shape', (p) => craft(p, { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /invalid shape \[-1\]/],
  ['size mismatch', (p) => craft(p, { a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1)), /needs 8 bytes but data_offsets span 4/],
  ['reversed offsets', (p) => craft(p, { a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)), /invalid data_offsets/],
  ['overlapping tensors', (p) => craft(p, { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)), /overlaps another tensor/],
  ['a hole', (p) => craft(p, { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /a hole of 4 bytes/],
  ['truncated data', (p) => craft(p, { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), /needs 16 bytes but the file holds 8: truncated/],
  ['trailing bytes', (p) => craft(p, { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /4 bytes after the last tensor/],
  ['metadata not strings', (p) => craft(p, { __metadata__: { n: 1 } }, f32(0)), /__metadata__ must map strings to strings/],
];

for (const [name, make, message] of malformed) {
  test(`malformed file: ${name}`, async (t) => {
    const path = join(dir(), 'bad.safetensors');
    make(path);
    const error = await t.throwsAsync(loadSafetensors(path), { instanceOf: FormatError, message });
    t.is(error.path, path);
  });
}

test('an interrupted write leaves the previous file intact', async (t) => {
  const path = join(dir(), 'keep.safetensors');
  await saveSafetensors(path, { a: await Tensor.from(new Float32Array([1, 2])) });
  const before = readFileSync(path);
  const disposed = await Tensor.from(new Float32Array([9]));
  disposed.dispose();
  await t.throwsAsync(saveSafetensors(path, { a: await Tensor.from(new Float32Array([3])), b: disposed }));
  t.deepEqual(readFileSync(path), before);
});

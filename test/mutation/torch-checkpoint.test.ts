/**
 * Tests of lib/io/torchCheckpoint.ts written for mutation testing (`npm run mutate --
 * lib/io/torchCheckpoint.ts`): torch.save archives rebuilt from the OPT fixture's entries
 * (test/mutation/zipBuilder.ts) with one thing changed each.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError } from '../../lib/errors/FormatError.js';
import { loadTorchCheckpoint } from '../../lib/io/torchCheckpoint.js';
import { crc32, readZipDirectory } from '../../lib/io/zip.js';
import { packageRoot } from '../../lib/native/loader.js';
import { buildZip, type BuildEntry } from './zipBuilder.js';

const dir = mkdtempSync(join(tmpdir(), 'svae-mut-io-'));
let n = 0;
const file = (bytes: Uint8Array | string) => {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, bytes);
  return path;
};

// The OPT fixture's pytorch_model.bin, taken apart into entries to rebuild variants of it.
const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln', 'pytorch_model.bin');
async function fixtureEntries(): Promise<BuildEntry[]> {
  const raw = readFileSync(fixture);
  return (await readZipDirectory(fixture)).map((e) => ({ name: e.name, data: raw.subarray(e.dataOffset, e.dataOffset + e.size) }));
}

test('loadTorchCheckpoint: a rebuilt archive, another prefix, and data.pkl at the root load the same tensors', async (t) => {
  const reference = await loadTorchCheckpoint(fixture);
  const values = async (m: Map<string, import('../../lib/tensor/Tensor.js').Tensor>) => {
    const out: Record<string, number[]> = {};
    for (const [k, v] of m) out[k] = Array.from((await v.toArray()) as ArrayLike<number>).slice(0, 8);
    return out;
  };
  const expected = await values(reference);
  const entries = await fixtureEntries();
  const prefix = entries[0]!.name.slice(0, entries[0]!.name.indexOf('/') + 1);
  for (const rename of [(s: string) => s, (s: string) => `other/${s.slice(prefix.length)}`, (s: string) => s.slice(prefix.length)]) {
    const path = file(buildZip(entries.map((e) => ({ ...e, name: rename(e.name) }))));
    const loaded = await loadTorchCheckpoint(path);
    t.deepEqual([...loaded.keys()], [...reference.keys()]);
    t.deepEqual(await values(loaded), expected);
    for (const v of loaded.values()) v.dispose();
  }
  for (const v of reference.values()) v.dispose();
});

test('loadTorchCheckpoint: a non-string path is named', async (t) => {
  await t.throwsAsync(loadTorchCheckpoint(5 as unknown as string), { message: 'Expected string for path but received 5 of type number' });
});

test('loadTorchCheckpoint: no data.pkl, a missing, compressed or wrongly sized storage, an unreadable storage', async (t) => {
  const entries = await fixtureEntries();
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl'))!;
  const storage = entries.find((e) => /\/data\/\d+$/.test(e.name) && e.data.length > 64)!;
  const key = storage.name.slice(storage.name.lastIndexOf('/') + 1);
  const refuse = async (variant: BuildEntry[], message: RegExp) => {
    const path = file(buildZip(variant));
    const error = await t.throwsAsync(loadTorchCheckpoint(path), { instanceOf: FormatError, message });
    t.is((error as FormatError).path, path);
    t.true(error!.message.startsWith(`${path}: `));
  };
  await refuse(entries.filter((e) => e !== pkl), /no data\.pkl inside: not a torch\.save zip checkpoint/);
  await refuse(entries.map((e) => (e === pkl ? { ...e, name: `${e.name}x` } : e)), /no data\.pkl inside/);
  await refuse(entries.filter((e) => e !== storage), new RegExp(`refers to storage ${key}, which the archive lacks`));
  await refuse(entries.map((e) => (e === storage ? { ...e, compression: 8 } : e)), new RegExp(`storage ${key} is compressed; only stored entries are supported`));
  await refuse(entries.map((e) => (e === storage ? { ...e, data: e.data.subarray(0, e.data.length - 4) } : e)), new RegExp(`storage ${key} has ${storage.data.length - 4} bytes but the pickle says ${storage.data.length}`));
  // A storage whose CRC-32 does not match: the native reader's refusal becomes a FormatError naming the file.
  await refuse(entries.map((e) => (e === storage ? { ...e, crc: (crc32(e.data) ^ 1) >>> 0 } : e)), /CRC|crc|corrupt/);
});

// A state dict pickle built byte by byte (as in test/hardening/mutation-io.test.ts): one tensor
// per storage dtype, two views of one shared storage, and a view at an offset with a stride.
const OP = { PROTO: 0x80, STOP: 0x2e, EMPTY_DICT: 0x7d, EMPTY_TUPLE: 0x29, MARK: 0x28, BININT1: 0x4b, SHORT_BINUNICODE: 0x8c, GLOBAL: 0x63, TUPLE: 0x74, SETITEMS: 0x75, BINPERSID: 0x51, REDUCE: 0x52, NEWFALSE: 0x89 } as const;
type Bytes = number[];
const str = (x: string): Bytes => [OP.SHORT_BINUNICODE, Buffer.byteLength(x), ...Buffer.from(x)];
const int = (v: number): Bytes => [OP.BININT1, v];
const global = (m: string, g: string): Bytes => [OP.GLOBAL, ...Buffer.from(`${m}\n${g}\n`)];
const tuple = (...items: Bytes[]): Bytes => [OP.MARK, ...items.flat(), OP.TUPLE];
function tensorRef(key: string, storage: string, numel: number, offset: number, size: number[], stride: number[]): Bytes {
  return [
    ...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK,
    ...tuple(str('storage'), global('torch', storage), str(key), str('cpu'), int(numel)), OP.BINPERSID,
    ...int(offset), ...tuple(...size.map(int)), ...tuple(...stride.map(int)), OP.NEWFALSE, ...global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE,
    OP.TUPLE, OP.REDUCE,
  ];
}

test('loadTorchCheckpoint: every storage dtype, a storage shared by two tensors, a strided view at an offset', async (t) => {
  const storages: [string, string, ArrayBufferView][] = [
    ['FloatStorage', 'float32', new Float32Array([1.5, -2])], ['DoubleStorage', 'float64', new Float64Array([Math.PI, 2])],
    ['HalfStorage', 'float16', new Uint16Array([0x3c00, 0xc000])], ['BFloat16Storage', 'bfloat16', new Uint16Array([0x3f80, 0x4000])],
    ['LongStorage', 'int64', new BigInt64Array([-5n, 7n])], ['IntStorage', 'int32', new Int32Array([-7, 8])],
    ['ShortStorage', 'int16', new Int16Array([-3, 4])], ['CharStorage', 'int8', new Int8Array([-1, 2])],
    ['ByteStorage', 'uint8', new Uint8Array([255, 1])], ['BoolStorage', 'bool', new Uint8Array([1, 0])],
  ];
  const pairs: Bytes = [];
  const entries: BuildEntry[] = [];
  storages.forEach(([type, , data], i) => {
    pairs.push(...str(`t${i}`), ...tensorRef(String(i), type, 2, 0, [2], [1]));
    entries.push({ name: `archive/data/${i}`, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
  });
  // Storage 20: six floats; 'shared' is all of it as [2, 3], 'view' its column 1 from offset 1.
  pairs.push(...str('shared'), ...tensorRef('20', 'FloatStorage', 6, 0, [2, 3], [3, 1]));
  pairs.push(...str('view'), ...tensorRef('20', 'FloatStorage', 6, 1, [2], [3]));
  entries.push({ name: 'archive/data/20', data: Buffer.from(new Float32Array([0, 1, 2, 3, 4, 5]).buffer) });
  const pkl = Buffer.from([OP.PROTO, 2, OP.EMPTY_DICT, OP.MARK, ...pairs, OP.SETITEMS, OP.STOP]);
  const path = file(buildZip([{ name: 'archive/data.pkl', data: pkl }, ...entries]));
  const loaded = await loadTorchCheckpoint(path);
  for (const [i, [, dtype, data]] of storages.entries()) {
    const x = loaded.get(`t${i}`)!;
    t.is(x.dtype as string, dtype);
    const values = await x.toArray();
    t.deepEqual(Array.from(values as ArrayLike<number | bigint>), Array.from(data as unknown as ArrayLike<number | bigint>), dtype);
  }
  t.deepEqual(Array.from((await loaded.get('shared')!.toArray()) as Float32Array), [0, 1, 2, 3, 4, 5]);
  t.deepEqual(loaded.get('shared')!.shape, [2, 3]);
  t.deepEqual(Array.from((await loaded.get('view')!.toArray()) as Float32Array), [1, 4]);
  for (const x of loaded.values()) x.dispose();
  // A storage one element short for its dtype is refused with both sizes.
  const short = entries.map((e) => (e.name === 'archive/data/4' ? { ...e, data: e.data.subarray(0, 8) } : e));
  await t.throwsAsync(loadTorchCheckpoint(file(buildZip([{ name: 'archive/data.pkl', data: pkl }, ...short]))), { instanceOf: FormatError, message: /storage 4 has 8 bytes but the pickle says 16/ });
});

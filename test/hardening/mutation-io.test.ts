/**
 * lib/io/torchPickle.ts opcode by opcode, model-free (issue 15, item 16): the restricted pickle
 * reader was tested only through whole OPT checkpoints, so most of its branches could change
 * without a test noticing. Pickles are built byte by byte here.
 */
import { join } from 'node:path';

import test from 'ava';

import { FormatError } from '../../lib/index.js';
import { parseStateDictPickle, readZipDirectory, type TensorRef } from '../../lib/internal.js';
import { readZipEntry } from '../../lib/io/zip.js';
import { packageRoot } from '../../lib/native/loader.js';

const OP = {
  PROTO: 0x80, FRAME: 0x95, STOP: 0x2e, EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29, MARK: 0x28, NONE: 0x4e,
  NEWTRUE: 0x88, NEWFALSE: 0x89, BININT1: 0x4b, BININT2: 0x4d, BININT: 0x4a, LONG1: 0x8a, BINFLOAT: 0x47, BINUNICODE: 0x58,
  SHORT_BINUNICODE: 0x8c, SHORT_BINBYTES: 0x43, BINBYTES: 0x42, GLOBAL: 0x63, STACK_GLOBAL: 0x93, BINPUT: 0x71, LONG_BINPUT: 0x72,
  MEMOIZE: 0x94, BINGET: 0x68, LONG_BINGET: 0x6a, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, APPEND: 0x61, APPENDS: 0x65,
  SETITEM: 0x73, SETITEMS: 0x75, BINPERSID: 0x51, REDUCE: 0x52, BUILD: 0x62,
} as const;
type Bytes = number[];
const u32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const s = (x: string): Bytes => [OP.SHORT_BINUNICODE, Buffer.byteLength(x), ...Buffer.from(x)];
const long = (x: string): Bytes => [OP.BINUNICODE, ...u32(Buffer.byteLength(x)), ...Buffer.from(x)];
const int = (n: number): Bytes => (n >= 0 && n < 256 ? [OP.BININT1, n] : n >= 0 && n < 65536 ? [OP.BININT2, n & 255, n >> 8] : [OP.BININT, ...u32(n >>> 0)]);
const global = (m: string, n: string): Bytes => [OP.GLOBAL, ...Buffer.from(`${m}\n${n}\n`)];
const stackGlobal = (m: string, n: string): Bytes => [...s(m), ...s(n), OP.STACK_GLOBAL];
const tuple = (...items: Bytes[]): Bytes => [OP.MARK, ...items.flat(), OP.TUPLE];
/** torch._utils._rebuild_tensor_v2(storage(persistent id), offset, size, stride, requires_grad, hooks) */
function tensor(key: string, storage: string, numel: number, offset: number, size: number[], stride: number[]): Bytes {
  return [
    ...global('torch._utils', '_rebuild_tensor_v2'),
    OP.MARK,
    ...tuple(s('storage'), global('torch', storage), s(key), s('cpu'), int(numel)), OP.BINPERSID,
    ...int(offset), ...tuple(...size.map(int)), ...tuple(...stride.map(int)), OP.NEWFALSE, ...global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE,
    OP.TUPLE, OP.REDUCE,
  ];
}
const pickle = (...body: Bytes[]) => Buffer.from([OP.PROTO, 2, ...body.flat(), OP.STOP]);
const dict = (...pairs: [string, Bytes][]): Bytes => [OP.EMPTY_DICT, OP.MARK, ...pairs.flatMap(([k, v]) => [...s(k), ...v]), OP.SETITEMS];
const parse = (b: Buffer) => parseStateDictPickle(b, 'test.pkl');
const refuses = (t: { throws: Function }, b: Buffer, message: RegExp) => (t.throws as (f: () => unknown, e: object) => unknown)(() => parse(b), { instanceOf: FormatError, message });

test('a real torch.save pickle (the OPT fixture) parses into tensor references', async (t) => {
  const bin = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln', 'pytorch_model.bin');
  const entries = await readZipDirectory(bin);
  const refs = parseStateDictPickle(await readZipEntry(bin, entries.find((e) => e.name.endsWith('data.pkl'))!), bin);
  const embed = refs.get('decoder.embed_tokens.weight')!;
  t.is(embed.kind, 'tensor');
  t.is(embed.storage.dtype, 'float16');
  t.deepEqual(embed.shape, [4104, 64]);
  t.deepEqual(embed.stride, [64, 1]);
  t.is(embed.offset, 0);
  t.is(embed.storage.numel, 4104 * 64);
  const ln = refs.get('decoder.layers.0.self_attn_layer_norm.weight')!;
  t.deepEqual([ln.shape, ln.stride], [[64], [1]]);
  t.true(refs.size > 20);
});

test('tensors: storage dtype, key, numel, offset, size and stride are read exactly (protocol 2 and 4 forms)', (t) => {
  const refs = parse(pickle(dict(
    ['a', tensor('0', 'FloatStorage', 12, 2, [2, 5], [6, 1])],
    ['b', tensor('1', 'HalfStorage', 70000, 300, [70000 - 300], [1])],
    ['c', tensor('2', 'LongStorage', 3, 0, [], [])],
    ['d', tensor('3', 'BFloat16Storage', 1, 0, [1], [1])],
  )));
  const a = refs.get('a')!;
  t.deepEqual(a, { kind: 'tensor', storage: { kind: 'storage', key: '0', dtype: 'float32', numel: 12 }, offset: 2, shape: [2, 5], stride: [6, 1] } satisfies TensorRef);
  t.deepEqual(refs.get('b')!.storage, { kind: 'storage', key: '1', dtype: 'float16', numel: 70000 });
  t.is(refs.get('b')!.offset, 300);
  t.deepEqual(refs.get('c')!.shape, []);
  t.is(refs.get('c')!.storage.dtype, 'int64');
  t.is(refs.get('d')!.storage.dtype, 'bfloat16');
  t.deepEqual([...refs.keys()], ['a', 'b', 'c', 'd']);
  // Every storage type maps to its dtype.
  const types = { FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64', LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool' };
  for (const [type, dtype] of Object.entries(types)) t.is<string, string>(parse(pickle(dict(['x', tensor('k', type, 1, 0, [1], [1])]))).get('x')!.storage.dtype, dtype, type);
  // _rebuild_parameter(tensor, requires_grad, hooks) keeps the tensor; protocol 4 framing and STACK_GLOBAL work.
  const param = [...stackGlobal('torch._utils', '_rebuild_parameter'), ...tensor('9', 'FloatStorage', 4, 0, [4], [1]), OP.NEWTRUE, ...stackGlobal('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE, OP.TUPLE3, OP.REDUCE];
  const body = [OP.EMPTY_DICT, OP.MEMOIZE, ...s('p'), OP.MEMOIZE, ...param, OP.SETITEM];
  const framed = Buffer.from([OP.PROTO, 4, OP.FRAME, ...u32(body.length + 1), 0, 0, 0, 0, ...body, OP.STOP]);
  t.deepEqual(parse(framed).get('p')!.shape, [4]);
  // Legacy _rebuild_tensor is read like v2.
  const legacy = [...global('torch._utils', '_rebuild_tensor'), ...tuple(tuple(s('storage'), global('torch', 'IntStorage'), s('5'), s('cpu'), int(6)).concat(OP.BINPERSID), int(1), tuple(int(5)), tuple(int(1))), OP.REDUCE];
  t.deepEqual(parse(pickle(dict(['l', legacy]))).get('l')!.storage, { kind: 'storage', key: '5', dtype: 'int32', numel: 6 });
});

test('integers, strings, bytes, floats, memo and containers are decoded as Python does', (t) => {
  // Values are checked through the one place they surface: a tensor's offset/size/stride and its storage key.
  const withOffset = (offset: Bytes) => parse(pickle(dict(['x', [...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...tuple(s('storage'), global('torch', 'FloatStorage'), s('k'), s('cpu'), int(1 << 20)), OP.BINPERSID, ...offset, ...tuple(int(1)), ...tuple(int(1)), OP.TUPLE, OP.REDUCE]]))).get('x')!.offset;
  t.is(withOffset(int(7)), 7);
  t.is(withOffset(int(300)), 300);
  t.is(withOffset(int(65535)), 65535);
  t.is(withOffset(int(70000)), 70000);
  t.is(withOffset([OP.BININT, ...u32(-5 >>> 0)]), -5, 'BININT is signed');
  t.is(withOffset([OP.LONG1, 2, 0x10, 0x27]), 10000);
  t.is(withOffset([OP.LONG1, 1, 0xff]), -1, 'LONG1 is two\'s complement');
  t.is(withOffset([OP.LONG1, 0]), 0);
  t.is(withOffset([OP.LONG1, 3, 0, 0, 1]), 65536);
  // Memo: BINPUT / LONG_BINPUT / MEMOIZE then BINGET / LONG_BINGET.
  t.is(withOffset([...int(42), OP.BINPUT, 3, OP.BUILD, OP.BINGET, 3]), 42);
  t.is(withOffset([...int(43), OP.LONG_BINPUT, ...u32(70000), OP.BUILD, OP.LONG_BINGET, ...u32(70000)]), 43);
  t.is(withOffset([...int(44), OP.MEMOIZE, OP.BUILD, OP.BINGET, 0]), 44);
  // Strings: BINUNICODE and multi-byte UTF-8 keys.
  const refs = parse(pickle([OP.EMPTY_DICT, ...long('名前.weight'), ...tensor('k', 'FloatStorage', 1, 0, [1], [1]), OP.SETITEM]));
  t.deepEqual([...refs.keys()], ['名前.weight']);
  // Lists (APPEND, APPENDS) as sizes; TUPLE1/TUPLE2 as strides.
  const shaped = [...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...tuple(s('storage'), global('torch', 'FloatStorage'), s('k'), s('cpu'), int(64)), OP.BINPERSID, ...int(0),
    OP.EMPTY_LIST, ...int(2), OP.APPEND, OP.MARK, ...int(3), ...int(4), OP.APPENDS, ...int(12), ...int(4), OP.TUPLE2, OP.TUPLE, OP.REDUCE];
  const r = parse(pickle(dict(['s', shaped]))).get('s')!;
  t.deepEqual([r.shape, r.stride], [[2, 3, 4], [12, 4]]);
  // Bytes, floats, booleans and None are accepted as values inside ignored state (BUILD).
  const noise = [OP.SHORT_BINBYTES, 2, 1, 2, OP.BUILD, OP.BINBYTES, ...u32(3), 1, 2, 3, OP.BUILD, OP.BINFLOAT, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, OP.BUILD, OP.NEWTRUE, OP.BUILD, OP.NEWFALSE, OP.BUILD, OP.NONE, OP.BUILD];
  t.is(parse(pickle([OP.EMPTY_DICT, ...noise])).size, 0);
  // An OrderedDict built by REDUCE is a dict.
  t.is(parse(pickle([...global('collections', 'OrderedDict'), OP.EMPTY_TUPLE, OP.REDUCE])).size, 0);
});

test('malformed pickles are refused with a FormatError that names the problem and the file', (t) => {
  refuses(t, Buffer.from([OP.PROTO, 2, OP.EMPTY_LIST, OP.STOP]), /the pickle is not a dict/);
  refuses(t, pickle([OP.EMPTY_DICT, ...int(1), ...int(2), OP.SETITEM]), /a key is not a string/);
  refuses(t, pickle([OP.EMPTY_DICT, ...s('k'), ...int(2), OP.SETITEM]), /entry 'k' is not a tensor/);
  refuses(t, pickle([OP.EMPTY_DICT, ...s('k'), OP.NONE, OP.SETITEM]), /entry 'k' is not a tensor/);
  refuses(t, Buffer.from([OP.PROTO, 2, OP.STOP]), /stack underflow/);
  refuses(t, Buffer.from([OP.PROTO, 2, OP.EMPTY_DICT]), /truncated/);
  refuses(t, Buffer.from([OP.PROTO, 2, OP.BININT, 1, 2]), /truncated/);
  refuses(t, Buffer.from([OP.PROTO, 2, OP.SHORT_BINUNICODE, 9, 0x61]), /truncated/);
  refuses(t, Buffer.from([OP.PROTO, 2, OP.GLOBAL, 0x61]), /truncated GLOBAL/);
  refuses(t, pickle([OP.EMPTY_DICT, OP.TUPLE]), /MARK missing/);
  refuses(t, pickle([OP.EMPTY_DICT, OP.BINGET, 9]), /memo 9 missing/);
  refuses(t, pickle([OP.EMPTY_DICT, OP.LONG_BINGET, ...u32(7)]), /memo 7 missing/);
  refuses(t, pickle([OP.EMPTY_DICT, ...int(1), ...int(2), OP.APPEND]), /APPEND to a non-list/);
  refuses(t, pickle([OP.EMPTY_DICT, OP.MARK, ...int(2), OP.APPENDS]), /APPENDS to a non-list/);
  refuses(t, pickle([OP.EMPTY_LIST, ...s('k'), ...int(2), OP.SETITEM]), /SETITEM on a non-dict/);
  refuses(t, pickle([OP.EMPTY_LIST, OP.MARK, ...s('k'), ...int(2), OP.SETITEMS]), /SETITEMS on a non-dict/);
  refuses(t, pickle([OP.EMPTY_DICT, ...int(1), ...int(2), OP.STACK_GLOBAL]), /STACK_GLOBAL needs strings/);
  refuses(t, pickle([OP.EMPTY_DICT, ...tuple(s('other')), OP.BINPERSID]), /unexpected persistent id/);
  refuses(t, pickle([OP.EMPTY_DICT, ...tuple(s('storage'), global('torch', 'FloatStorage'), s('k'), s('cpu')), OP.BINPERSID]), /unexpected persistent id/);
  refuses(t, pickle([OP.EMPTY_DICT, ...tuple(s('storage'), s('FloatStorage'), s('k'), s('cpu'), int(1)), OP.BINPERSID]), /unknown storage type/);
  refuses(t, pickle([OP.EMPTY_DICT, ...tuple(s('storage'), global('torch', 'FloatStorage'), int(3), s('cpu'), int(1)), OP.BINPERSID]), /malformed storage reference/);
  refuses(t, pickle([OP.EMPTY_DICT, ...tuple(s('storage'), global('torch', 'FloatStorage'), s('k'), s('cpu'), s('1')), OP.BINPERSID]), /malformed storage reference/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('collections', 'OrderedDict'), ...int(1), OP.REDUCE]), /REDUCE without an argument tuple/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch._utils', '_rebuild_tensor_v2'), ...tuple(int(1), int(0), tuple(), tuple()), OP.REDUCE]), /tensor without a storage/);
  const storage = [...tuple(s('storage'), global('torch', 'FloatStorage'), s('k'), s('cpu'), int(1)), OP.BINPERSID];
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...storage, ...s('0'), ...tuple(), ...tuple(), OP.TUPLE, OP.REDUCE]), /tensor offset is not an integer/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...storage, ...int(0), ...int(3), ...tuple(), OP.TUPLE, OP.REDUCE]), /size is not a tuple/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...storage, ...int(0), ...tuple(s('x')), ...tuple(), OP.TUPLE, OP.REDUCE]), /size holds a non-integer/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...storage, ...int(0), ...tuple(), OP.NONE, OP.TUPLE, OP.REDUCE]), /stride is not a tuple/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch._utils', '_rebuild_parameter'), ...tuple(int(1)), OP.REDUCE]), /parameter without a tensor/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch.storage', '_load_from_bytes'), ...tuple(), OP.REDUCE]), /legacy \(pre-1\.6, non-zip\) torch\.save format/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('torch', 'FloatStorage'), ...tuple(), OP.REDUCE]), /REDUCE of/);
  refuses(t, pickle([OP.EMPTY_DICT, ...global('os', 'system')]), /unexpected global 'os\.system' \(only state-dict tensors are read\)/);
  refuses(t, pickle([OP.EMPTY_DICT, 0x69]), /unsupported opcode 0x69 at byte 3/);
  const error = t.throws(() => parse(Buffer.from([OP.PROTO, 2, OP.STOP])), { instanceOf: FormatError });
  t.is(error.message, 'test.pkl: refused to read the pickle: stack underflow');
});

test('every truncation of a valid pickle is a FormatError, never another error', (t) => {
  const whole = pickle(dict(['a', tensor('0', 'FloatStorage', 12, 2, [2, 5], [6, 1])], ['b', tensor('1', 'HalfStorage', 3, 0, [3], [1])]));
  t.is(parse(whole).size, 2);
  for (let n = 0; n < whole.length; n++) t.throws(() => parse(whole.subarray(0, n)), { instanceOf: FormatError }, `${n} bytes`);
});

test('survivors of the first Stryker run: error path, non-tensor objects, scalars, NONE, LONG1 signs and range, mixed STACK_GLOBAL', (t) => {
  const error = t.throws(() => parseStateDictPickle(Buffer.from([OP.PROTO, 2, OP.STOP]), 'where.pkl'), { instanceOf: FormatError });
  t.is(error.path, 'where.pkl');
  refuses(t, pickle([OP.EMPTY_DICT, ...s('k'), OP.EMPTY_LIST, OP.SETITEM]), /entry 'k' is not a tensor/);
  refuses(t, pickle([OP.EMPTY_DICT, ...s('k'), ...tuple(int(1)), OP.SETITEM]), /entry 'k' is not a tensor/);
  refuses(t, Buffer.from([OP.PROTO, 2, OP.BINPUT, 0]), /stack underflow/);
  refuses(t, pickle([OP.EMPTY_DICT, ...s('a'), ...int(1), OP.STACK_GLOBAL]), /STACK_GLOBAL needs strings/);
  refuses(t, pickle([OP.EMPTY_DICT, ...int(1), ...s('a'), OP.STACK_GLOBAL]), /STACK_GLOBAL needs strings/);
  refuses(t, pickle([OP.EMPTY_DICT, ...tuple(s('other'), global('torch', 'FloatStorage'), s('k'), s('cpu'), int(1)), OP.BINPERSID]), /unexpected persistent id/);
  refuses(t, pickle([OP.EMPTY_DICT, ...tuple(s('storage'), [OP.NONE], s('k'), s('cpu'), int(1)), OP.BINPERSID]), /unknown storage type/);
  // A scalar: size and stride as EMPTY_TUPLE; backward hooks as NONE.
  const storage = [...tuple(s('storage'), global('torch', 'FloatStorage'), s('k'), s('cpu'), int(1)), OP.BINPERSID];
  const scalar = [...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...storage, ...int(0), OP.EMPTY_TUPLE, OP.EMPTY_TUPLE, OP.NEWFALSE, OP.NONE, OP.TUPLE, OP.REDUCE];
  const r = parse(pickle(dict(['x', scalar]))).get('x')!;
  t.deepEqual([r.shape, r.stride], [[], []]);
  // LONG1 offsets: positive with the high bit clear, negative over two bytes, the safe-integer edges, beyond them.
  const at = (bytes: number[]) => parse(pickle(dict(['x', [...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...storage, OP.LONG1, bytes.length, ...bytes, OP.EMPTY_TUPLE, OP.EMPTY_TUPLE, OP.TUPLE, OP.REDUCE]]))).get('x')!.offset;
  t.is(at([0x7f]), 127);
  t.is(at([0xc8, 0x00]), 200);
  t.is(at([0x00, 0xff]), -256);
  t.is(at([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00]), Number.MAX_SAFE_INTEGER);
  t.is(at([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0xff]), Number.MIN_SAFE_INTEGER);
  refuses(t, pickle(dict(['x', [...global('torch._utils', '_rebuild_tensor_v2'), OP.MARK, ...storage, OP.LONG1, 8, 0, 0, 0, 0, 0, 0, 0x20, 0, OP.EMPTY_TUPLE, OP.EMPTY_TUPLE, OP.TUPLE, OP.REDUCE]])), /tensor offset is not an integer/);
});

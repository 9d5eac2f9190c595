/**
 * A restricted reader for PyTorch state-dict pickles (`pytorch_model.bin`, torch.save's zip
 * format). It understands the opcodes torch.save emits for a dict of tensors and a short list of
 * globals (OrderedDict, tensor rebuild functions, typed storages); anything else — any other
 * global, any opcode it does not know — is refused with a FormatError. It never executes code
 * from the file: globals map to descriptions, not to functions.
 */
import { FormatError } from '../errors/FormatError.js';
import { invalid } from '../validate.js';
import type { DType } from '../tensor/dtypes.js';

export interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: DType;
  /** Elements in the storage. */
  numel: number;
}

export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  /** In elements. */
  offset: number;
  shape: number[];
  stride: number[];
}

const storageDTypes: Record<string, DType> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};

type Global = { kind: 'global'; module: string; name: string };
type Value = null | boolean | number | bigint | string | Buffer | Value[] | Tuple | Map<Value, Value> | Global | StorageRef | TensorRef | Mark;
class Tuple {
  constructor(readonly items: Value[]) {}
}
class Mark {}
const MARK = new Mark();

const allowedGlobals = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch.storage._load_from_bytes', // refused below with a clear message (legacy format)
  ...Object.keys(storageDTypes).map((s) => `torch.${s}`),
]);

/**
 * Parses a state-dict pickle into `name -> TensorRef`. `where` names the file in errors.
 * @example
 * ```ts
 * const tensors = parseStateDictPickle(await readZipEntry(path, dataPkl), path);
 * ```
 */
export function parseStateDictPickle(data: Buffer, where = 'the pickle'): Map<string, TensorRef> {
  if (!Buffer.isBuffer(data)) {
    const bytes: unknown = data;
    if (!(bytes instanceof Uint8Array)) invalid('Buffer', 'data', bytes);
    data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  // Without a file name the messages say "the pickle", never "undefined".
  const named = typeof where === 'string' && where !== '' && where !== 'the pickle';
  if (!named) where = 'the pickle';
  const fail = (why: string): never => {
    throw new FormatError(`${where}: refused to read the pickle: ${why}`, named ? { path: where } : {});
  };
  const stack: Value[] = [];
  const memo = new Map<number, Value>();
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > data.length) fail('truncated');
  };
  const byte = () => (need(1), data[pos++]!);
  const popMark = (): Value[] => {
    const items: Value[] = [];
    for (;;) {
      if (stack.length === 0) fail('MARK missing');
      const v = stack.pop()!;
      if (v === MARK) return items.reverse();
      items.push(v);
    }
  };
  const top = (): Value => (stack.length === 0 ? fail('stack underflow') : stack[stack.length - 1]!);
  const pop = (): Value => (stack.length === 0 ? fail('stack underflow') : stack.pop()!);
  const str = (n: number) => (need(n), data.toString('utf8', pos, (pos += n)));
  const line = () => {
    const end = data.indexOf(10, pos);
    if (end < 0) fail('truncated GLOBAL');
    const s = data.toString('utf8', pos, end);
    pos = end + 1;
    return s;
  };
  const makeGlobal = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!allowedGlobals.has(full)) fail(`unexpected global '${full}' (only state-dict tensors are read)`);
    return { kind: 'global', module, name };
  };
  const isGlobal = (v: Value, name: string): v is Global => typeof v === 'object' && v !== null && (v as Global).kind === 'global' && `${(v as Global).module}.${(v as Global).name}` === name;
  const asInts = (v: Value, what: string): number[] => {
    const items = v instanceof Tuple ? v.items : Array.isArray(v) ? v : fail(`${what} is not a tuple`);
    return items.map((x) => (typeof x === 'number' ? x : fail(`${what} holds a non-integer`)));
  };

  for (;;) {
    const op = byte();
    switch (op) {
      case 0x80: byte(); break; // PROTO
      case 0x95: need(8); pos += 8; break; // FRAME
      case 0x2e: { // STOP
        const result = pop();
        if (!(result instanceof Map)) fail('the pickle is not a dict');
        const out = new Map<string, TensorRef>();
        for (const [k, v] of result as Map<Value, Value>) {
          if (typeof k !== 'string') fail('a key is not a string');
          if (typeof v !== 'object' || v === null || (v as TensorRef).kind !== 'tensor') fail(`entry '${String(k)}' is not a tensor`);
          out.set(k as string, v as TensorRef);
        }
        return out;
      }
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new Tuple([])); break; // EMPTY_TUPLE
      case 0x28: stack.push(MARK); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(byte()); break; // BININT1
      case 0x4d: need(2); stack.push(data.readUInt16LE(pos)); pos += 2; break; // BININT2
      case 0x4a: need(4); stack.push(data.readInt32LE(pos)); pos += 4; break; // BININT
      case 0x8a: { // LONG1
        const n = byte();
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[pos + i]!);
        if (n > 0 && data[pos + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        pos += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); stack.push(data.readDoubleBE(pos)); pos += 8; break; // BINFLOAT
      case 0x58: { need(4); const n = data.readUInt32LE(pos); pos += 4; stack.push(str(n)); break; } // BINUNICODE
      case 0x8c: { const n = byte(); stack.push(str(n)); break; } // SHORT_BINUNICODE
      case 0x43: { const n = byte(); need(n); stack.push(Buffer.from(data.subarray(pos, pos + n))); pos += n; break; } // SHORT_BINBYTES
      case 0x42: { need(4); const n = data.readUInt32LE(pos); pos += 4; need(n); stack.push(Buffer.from(data.subarray(pos, pos + n))); pos += n; break; } // BINBYTES
      case 0x63: { const module = line(); const name = line(); stack.push(makeGlobal(module, name)); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs strings'); stack.push(makeGlobal(module as string, name as string)); break; }
      case 0x71: memo.set(byte(), top()); break; // BINPUT
      case 0x72: need(4); memo.set(data.readUInt32LE(pos), top()); pos += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: { const k = byte(); if (!memo.has(k)) fail(`memo ${k} missing`); stack.push(memo.get(k)!); break; } // BINGET
      case 0x6a: { need(4); const k = data.readUInt32LE(pos); pos += 4; if (!memo.has(k)) fail(`memo ${k} missing`); stack.push(memo.get(k)!); break; } // LONG_BINGET
      case 0x74: stack.push(new Tuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new Tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new Tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new Tuple([a, b, c])); break; } // TUPLE3
      case 0x61: { const v = pop(); const list = top(); if (!Array.isArray(list)) fail('APPEND to a non-list'); (list as Value[]).push(v); break; }
      case 0x65: { const items = popMark(); const list = top(); if (!Array.isArray(list)) fail('APPENDS to a non-list'); (list as Value[]).push(...items); break; }
      case 0x73: { const v = pop(); const k = pop(); const d = top(); if (!(d instanceof Map)) fail('SETITEM on a non-dict'); (d as Map<Value, Value>).set(k, v); break; }
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top();
        if (!(d instanceof Map)) fail('SETITEMS on a non-dict');
        for (let i = 0; i + 1 < items.length; i += 2) (d as Map<Value, Value>).set(items[i]!, items[i + 1]!);
        break;
      }
      case 0x51: { // BINPERSID: ('storage', storage_type, key, location, numel)
        const pid = pop();
        if (!(pid instanceof Tuple) || pid.items[0] !== 'storage' || pid.items.length < 5) fail('unexpected persistent id');
        const [, type, key, , numel] = (pid as Tuple).items;
        const g = type as Global;
        const dtype = g && g.kind === 'global' && g.module === 'torch' ? storageDTypes[g.name] : undefined;
        if (!dtype) fail('persistent id with an unknown storage type');
        if (typeof key !== 'string' || typeof numel !== 'number') fail('malformed storage reference');
        stack.push({ kind: 'storage', key: key as string, dtype: dtype as DType, numel: numel as number });
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof Tuple)) fail('REDUCE without an argument tuple');
        const a = (args as Tuple).items;
        if (isGlobal(fn, 'collections.OrderedDict')) {
          stack.push(new Map());
        } else if (isGlobal(fn, 'torch._utils._rebuild_tensor_v2') || isGlobal(fn, 'torch._utils._rebuild_tensor')) {
          const storage = a[0] as StorageRef;
          if (!storage || storage.kind !== 'storage') fail('tensor without a storage');
          const offset = a[1];
          if (typeof offset !== 'number') fail('tensor offset is not an integer');
          stack.push({ kind: 'tensor', storage, offset: offset as number, shape: asInts(a[2]!, 'size'), stride: asInts(a[3]!, 'stride') });
        } else if (isGlobal(fn, 'torch._utils._rebuild_parameter')) {
          const t = a[0] as TensorRef;
          if (!t || t.kind !== 'tensor') fail('parameter without a tensor');
          stack.push(t);
        } else if (isGlobal(fn, 'torch.storage._load_from_bytes')) {
          fail('legacy (pre-1.6, non-zip) torch.save format: re-save the checkpoint with a recent PyTorch');
        } else {
          fail(`REDUCE of ${JSON.stringify(fn) ?? String(fn)}`);
        }
        break;
      }
      case 0x62: { pop(); break; } // BUILD: state of an OrderedDict (its _metadata): ignored
      default:
        fail(`unsupported opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}

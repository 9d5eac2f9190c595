/**
 * safetensors files: an 8-byte little-endian header length N, N bytes of JSON, then the tensor
 * data. The header is parsed and validated strictly here; the data moves between the file and
 * tensor memory in native code (it never passes through JS buffers).
 */
import { FormatError } from '../errors/FormatError.js';
import { openRegularFile } from '../files.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { callAsync } from '../native/call.js';
import { addon } from '../native/loader.js';
import type { DType } from '../tensor/dtypes.js';
import { Tensor } from '../tensor/Tensor.js';
import { expectArray, expectOptions, expectString, invalid } from '../validate.js';

const toDType: Record<string, DType> = {
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const fromDType = Object.fromEntries(Object.entries(toDType).map(([k, v]) => [v, k])) as Record<DType, string>;
const itemSize: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

/** Largest header accepted (the format's reference implementation uses the same bound). */
const maxHeaderBytes = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range in the data section (relative to its start). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  path: string;
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Absolute offset of the data section. */
  dataStart: number;
  fileSize: number;
}

function bad(path: string, why: string): never {
  throw new FormatError(`${path}: not a valid safetensors file: ${why}`, { path });
}

/** "has no <field>" when a header field is absent (never a bare `undefined`), else "has <problem> <JSON value>". */
const has = (value: unknown, field: string, problem: string): string =>
  value === undefined ? `has no ${field}` : `has ${problem} ${JSON.stringify(value) ?? String(value)}`;

/** Reads and validates the header of a safetensors file (nothing else is read). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  expectString(path, 'path');
  const { handle: file, size: fileSize } = await openRegularFile(path);
  let json: string;
  let headerBytes: number;
  try {
    if (fileSize < 8) bad(path, `the file has ${fileSize} bytes, fewer than the 8-byte header length`);
    const prefix = Buffer.alloc(8);
    await file.read(prefix, 0, 8, 0);
    const n = prefix.readBigUInt64LE(0);
    if (n > BigInt(maxHeaderBytes)) bad(path, `header length ${n} is over the ${maxHeaderBytes}-byte limit`);
    headerBytes = Number(n);
    if (8 + headerBytes > fileSize) bad(path, `header length ${headerBytes} runs past the end of the file (${fileSize} bytes): truncated?`);
    const raw = Buffer.alloc(headerBytes);
    await file.read(raw, 0, headerBytes, 8);
    try {
      // ignoreBOM: a leading U+FEFF stays in the text and JSON.parse refuses it, as the reference
      // reader (serde_json) does; without it the decoder dropped it silently.
      json = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
    } catch {
      bad(path, 'the header is not valid UTF-8');
    }
  } finally {
    await file.close();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    bad(path, `the header is not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) bad(path, 'the header is not a JSON object');

  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
        bad(path, '__metadata__ must map strings to strings');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (e === null || typeof e !== 'object') bad(path, `entry '${name}' is not an object`);
    // Own keys only: "toString" or "constructor" must not find Object.prototype's members.
    const dtype = typeof e.dtype === 'string' && Object.hasOwn(toDType, e.dtype) ? toDType[e.dtype] : undefined;
    if (!dtype) bad(path, `entry '${name}' ${has(e.dtype, 'dtype', 'unsupported dtype')}`);
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
      bad(path, `entry '${name}' ${has(e.shape, 'shape', 'an invalid shape')}`);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || (o as number) < 0) || offsets[0] > offsets[1]) {
      bad(path, `entry '${name}' ${has(offsets, 'data_offsets', 'invalid data_offsets')}`);
    }
    const shape = e.shape as number[];
    const [begin, end] = offsets as [number, number];
    const expected = shape.reduce((a, b) => a * b, 1) * itemSize[dtype];
    if (end - begin !== expected) {
      bad(path, `entry '${name}' (${e.dtype as string} ${JSON.stringify(shape)}) needs ${expected} bytes but data_offsets span ${end - begin}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  // The data section must be covered exactly: sorted ranges, no overlap, no hole, no extra bytes.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin < at) bad(path, `entry '${e.name}' overlaps another tensor (offset ${e.begin} < ${at})`);
    if (e.begin > at) bad(path, `a hole of ${e.begin - at} bytes before entry '${e.name}'`);
    at = e.end;
  }
  const dataBytes = fileSize - 8 - headerBytes;
  if (at > dataBytes) bad(path, `tensor data needs ${at} bytes but the file holds ${dataBytes}: truncated?`);
  if (at < dataBytes) bad(path, `${dataBytes - at} bytes after the last tensor`);
  return { path, entries, metadata, dataStart: 8 + headerBytes, fileSize };
}

/**
 * Loads tensors of a safetensors file onto the CPU (all, or the `names` given).
 * @example
 * ```ts
 * const tensors = await loadSafetensors('model.safetensors');
 * ```
 */
export async function loadSafetensors(path: string, options: { names?: readonly string[] } = {}): Promise<Map<string, Tensor>> {
  options = expectOptions(options);
  if (options.names !== undefined) expectArray(options.names, 'names', 'array of tensor names', expectString);
  const header = await readSafetensorsHeader(path);
  const wanted = options.names ? new Set(options.names) : undefined;
  const entries = wanted ? header.entries.filter((e) => wanted.has(e.name)) : header.entries;
  if (wanted) {
    const missing = [...wanted].filter((n) => !header.entries.some((e) => e.name === n));
    if (missing.length > 0) throw new FormatError(`${path}: no tensor named ${missing.join(', ')}`, { path });
  }
  const slices = entries.map((e) => ({ dtype: e.dtype, shape: e.shape, offset: header.dataStart + e.begin, nbytes: e.end - e.begin }));
  const natives = await callAsync(() => addon().io.readTensorSlices(path, slices));
  return new Map(entries.map((e, i) => [e.name, new Tensor(natives[i]!)]));
}

/**
 * Writes tensors as a safetensors file, atomically (a temporary file, fsync, rename): the path
 * holds either its old content or the whole new file.
 */
export async function saveSafetensors(path: string, tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  expectString(path, 'path');
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) invalid('Map or record of name -> Tensor', 'tensors', tensors);
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) invalid('record of string -> string', 'metadata', metadata);
  for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') invalid('string', `metadata['${k}']`, v);
  const items: [string, Tensor][] = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, t] of items) {
    if (typeof name !== 'string' || name === '') invalid('non-empty string', 'tensor name', name);
    // The header's reserved key: a tensor under it would be read back as metadata (or rejected).
    if (name === '__metadata__') throw new InvalidArgumentError("Expected a tensor name other than '__metadata__' (reserved by safetensors for metadata) but received '__metadata__'");
    if (!(t instanceof Tensor)) invalid('Tensor', `tensors['${name}']`, t);
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of items) {
    const nbytes = t.size * itemSize[t.dtype];
    header[name] = { dtype: fromDType[t.dtype], shape: t.shape, data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8); // data starts 8-byte aligned
  const body = Buffer.from(json, 'utf8');
  const bytes = Buffer.alloc(8 + body.length);
  bytes.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(bytes, 8);
  const natives = items.map(([, t]) => t.native);
  await callAsync(() => addon().io.writeTensorFile(path, bytes, natives));
}

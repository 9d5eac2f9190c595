/**
 * The central directory of a ZIP file (what PyTorch's torch.save writes: stored, not
 * compressed, maybe ZIP64). Only the directory and local headers are read, never the data.
 */
import * as zlib from 'node:zlib';

import { FormatError } from '../errors/FormatError.js';
import { openRegularFile } from '../files.js';
import { expectString } from '../validate.js';

export interface ZipEntry {
  name: string;
  /** Absolute offset of the entry's data. */
  dataOffset: number;
  size: number;
  compression: number;
  /** CRC-32 of the entry's (uncompressed) bytes, from the central directory. */
  crc32: number;
}

// CRC-32 (ISO-HDLC, the zip polynomial) of small entries read into JS. Node >= 20.15 has
// zlib.crc32; the table version covers older 20.x. Large entries (tensor storages) are checked
// natively while they are read (native/io/crc32.cc).
const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (native) return native(bytes) >>> 0;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const hex32 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

const u16 = (b: Buffer, o: number) => b.readUInt16LE(o);
const u32 = (b: Buffer, o: number) => b.readUInt32LE(o);
const u64 = (b: Buffer, o: number) => {
  const v = b.readBigUInt64LE(o);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('64-bit value too large');
  return Number(v);
};

export async function readZipDirectory(path: string): Promise<ZipEntry[]> {
  expectString(path, 'path');
  const { handle: file, size } = await openRegularFile(path);
  const bad = (why: string): never => {
    throw new FormatError(`${path}: not a readable zip archive: ${why}`, { path });
  };
  try {
    const tailSize = Math.min(size, 65557 + 20);
    const tail = Buffer.alloc(tailSize);
    await file.read(tail, 0, tailSize, size - tailSize);
    let eocd = -1;
    for (let i = tailSize - 22; i >= 0; i--) {
      if (u32(tail, i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) bad('no end-of-central-directory record (truncated?)');
    let count = u16(tail, eocd + 10);
    let dirSize = u32(tail, eocd + 12);
    let dirOffset = u32(tail, eocd + 16);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      // ZIP64: a locator right before the EOCD points at the ZIP64 EOCD record.
      const loc = eocd - 20;
      if (loc < 0 || u32(tail, loc) !== 0x07064b50) bad('ZIP64 locator missing');
      const rec = Buffer.alloc(56);
      await file.read(rec, 0, 56, u64(tail, loc + 8));
      if (u32(rec, 0) !== 0x06064b50) bad('ZIP64 end record missing');
      count = u64(rec, 32);
      dirSize = u64(rec, 40);
      dirOffset = u64(rec, 48);
    }
    if (dirOffset + dirSize > size) bad('the central directory runs past the end of the file (truncated?)');
    const dir = Buffer.alloc(dirSize);
    await file.read(dir, 0, dirSize, dirOffset);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > dir.length || u32(dir, p) !== 0x02014b50) bad(`bad central directory entry ${k}`);
      const compression = u16(dir, p + 10);
      const crc = u32(dir, p + 16);
      let compressed = u32(dir, p + 20);
      let uncompressed = u32(dir, p + 24);
      const nameLen = u16(dir, p + 28);
      const extraLen = u16(dir, p + 30);
      const commentLen = u16(dir, p + 32);
      let localOffset = u32(dir, p + 42);
      const name = dir.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extra field: the 64-bit values, in order, for the fields that are 0xFFFFFFFF.
      let e = p + 46 + nameLen;
      const end = e + extraLen;
      while (e + 4 <= end) {
        const id = u16(dir, e);
        const len = u16(dir, e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (uncompressed === 0xffffffff) (uncompressed = u64(dir, q)), (q += 8);
          if (compressed === 0xffffffff) (compressed = u64(dir, q)), (q += 8);
          if (localOffset === 0xffffffff) localOffset = u64(dir, q);
        }
        e += 4 + len;
      }
      const local = Buffer.alloc(30);
      await file.read(local, 0, 30, localOffset);
      if (u32(local, 0) !== 0x04034b50) bad(`bad local header for ${name}`);
      const dataOffset = localOffset + 30 + u16(local, 26) + u16(local, 28);
      if (dataOffset + compressed > size) bad(`entry ${name} runs past the end of the file (truncated?)`);
      entries.push({ name, dataOffset, size: compressed, compression, crc32: crc });
      p = end + commentLen;
    }
    return entries;
  } catch (error) {
    // A length field that points past the directory (Buffer's "out of range") or a ZIP64 value
    // over 2^53: a malformed archive, not a bug of the caller's.
    if (error instanceof RangeError) bad(error.message);
    throw error;
  } finally {
    await file.close();
  }
}

/** Reads one (small, stored) entry into memory; its CRC-32 must match the directory's. */
export async function readZipEntry(path: string, entry: ZipEntry): Promise<Buffer> {
  if (entry.compression !== 0) throw new FormatError(`${path}: entry ${entry.name} is compressed (method ${entry.compression}); only stored entries are supported`, { path });
  const { handle: file } = await openRegularFile(path);
  try {
    const buf = Buffer.alloc(entry.size);
    const { bytesRead } = await file.read(buf, 0, entry.size, entry.dataOffset);
    if (bytesRead !== entry.size) throw new FormatError(`${path}: entry ${entry.name} is truncated (${bytesRead} of ${entry.size} bytes)`, { path });
    const actual = crc32(buf);
    if (actual !== entry.crc32) {
      throw new FormatError(`${path}: entry ${entry.name} is corrupt: its CRC-32 is ${hex32(actual)} but the zip directory says ${hex32(entry.crc32)}`, { path });
    }
    return buf;
  } finally {
    await file.close();
  }
}

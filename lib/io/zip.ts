/**
 * The central directory of a ZIP file (what PyTorch's torch.save writes: stored, not
 * compressed, maybe ZIP64). Only the directory and local headers are read, never the data.
 */
import { open } from 'node:fs/promises';

import { FormatError } from '../errors/FormatError.js';

export interface ZipEntry {
  name: string;
  /** Absolute offset of the entry's data. */
  dataOffset: number;
  size: number;
  compression: number;
}

const u16 = (b: Buffer, o: number) => b.readUInt16LE(o);
const u32 = (b: Buffer, o: number) => b.readUInt32LE(o);
const u64 = (b: Buffer, o: number) => {
  const v = b.readBigUInt64LE(o);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('64-bit value too large');
  return Number(v);
};

export async function readZipDirectory(path: string): Promise<ZipEntry[]> {
  const file = await open(path, 'r');
  const bad = (why: string): never => {
    throw new FormatError(`${path}: not a readable zip archive: ${why}`, { path });
  };
  try {
    const { size } = await file.stat();
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
      entries.push({ name, dataOffset, size: compressed, compression });
      p = end + commentLen;
    }
    return entries;
  } finally {
    await file.close();
  }
}

/** Reads one (small, stored) entry into memory. */
export async function readZipEntry(path: string, entry: ZipEntry): Promise<Buffer> {
  if (entry.compression !== 0) throw new FormatError(`${path}: entry ${entry.name} is compressed (method ${entry.compression}); only stored entries are supported`, { path });
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(entry.size);
    await file.read(buf, 0, entry.size, entry.dataOffset);
    return buf;
  } finally {
    await file.close();
  }
}

/**
 * A small ZIP writer for tests of lib/io/zip.ts: stored entries with exact control over every
 * header field, ZIP64 records and extra fields, comments, and where the central directory goes.
 */
import * as zlib from 'node:zlib';

export interface BuildEntry {
  name: string;
  data: Uint8Array;
  compression?: number;
  /** The CRC-32 written in the directory (default: the real one). */
  crc?: number;
  /** Extra field of the central directory entry. */
  extra?: Buffer;
  /** Extra field of the local header (may differ from the central one: zip.ts must use the local one for the data offset). */
  localExtra?: Buffer;
  comment?: string;
  /** Write these 32-bit fields as 0xFFFFFFFF with their values in a ZIP64 extra (0x0001). */
  zip64?: Array<'usize' | 'csize' | 'offset'>;
}

export interface BuildOptions {
  comment?: Buffer;
  /** ZIP64 end records: which EOCD fields are written as their ZIP64 markers. */
  zip64End?: Array<'count' | 'size' | 'offset'>;
  /** Bytes written before the first entry (a self-extracting stub). */
  prefix?: Buffer;
}

export const crc32 = (b: Uint8Array) => (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(b) >>> 0;

const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const u64 = (v: number | bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };

/** An extra field block: id, length, data. */
export const extraField = (id: number, data: Buffer) => Buffer.concat([u16(id), u16(data.length), data]);

export function buildZip(entries: BuildEntry[], options: BuildOptions = {}): Buffer {
  const parts: Buffer[] = [options.prefix ?? Buffer.alloc(0)];
  let at = parts[0]!.length;
  const central: Buffer[] = [];
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = Buffer.from(e.data);
    const crc = e.crc ?? crc32(data);
    const localExtra = e.localExtra ?? Buffer.alloc(0);
    const local = Buffer.concat([u32(0x04034b50), u16(20), u16(0), u16(e.compression ?? 0), u16(0), u16(0), u32(crc), u32(data.length), u32(data.length), u16(name.length), u16(localExtra.length), name, localExtra]);
    const offset = at;
    parts.push(local, data);
    at += local.length + data.length;
    const z = e.zip64 ?? [];
    const z64: Buffer[] = [];
    if (z.includes('usize')) z64.push(u64(data.length));
    if (z.includes('csize')) z64.push(u64(data.length));
    if (z.includes('offset')) z64.push(u64(offset));
    const extra = Buffer.concat([e.extra ?? Buffer.alloc(0), z64.length ? extraField(0x0001, Buffer.concat(z64)) : Buffer.alloc(0)]);
    const comment = Buffer.from(e.comment ?? '', 'utf8');
    central.push(Buffer.concat([
      u32(0x02014b50), u16(45), u16(20), u16(0), u16(e.compression ?? 0), u16(0), u16(0), u32(crc),
      u32(z.includes('csize') ? 0xffffffff : data.length), u32(z.includes('usize') ? 0xffffffff : data.length),
      u16(name.length), u16(extra.length), u16(comment.length), u16(0), u16(0), u32(0), u32(z.includes('offset') ? 0xffffffff : offset),
      name, extra, comment,
    ]));
  }
  const dir = Buffer.concat(central);
  const dirOffset = at;
  parts.push(dir);
  at += dir.length;
  const z = options.zip64End ?? [];
  if (z.length > 0) {
    const recordAt = at;
    parts.push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(entries.length), u64(entries.length), u64(dir.length), u64(dirOffset)]));
    parts.push(Buffer.concat([u32(0x07064b50), u32(0), u64(recordAt), u32(1)]));
  }
  const comment = options.comment ?? Buffer.alloc(0);
  parts.push(Buffer.concat([
    u32(0x06054b50), u16(0), u16(0), u16(z.includes('count') ? 0xffff : entries.length), u16(z.includes('count') ? 0xffff : entries.length),
    u32(z.includes('size') ? 0xffffffff : dir.length), u32(z.includes('offset') ? 0xffffffff : dirOffset), u16(comment.length), comment,
  ]));
  return Buffer.concat(parts);
}

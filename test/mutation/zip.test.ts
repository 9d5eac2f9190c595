/**
 * Model-free tests of lib/io/zip.ts, written for mutation testing (`npm run mutate --
 * lib/io/zip.ts`): each pins a field, a bound or an error that a one-token change of the reader
 * would break. Zips are built byte by byte (test/mutation/zipBuilder.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlibDefault from 'node:zlib';
import * as zlibNamespace from 'node:zlib';

import test from 'ava';

import { FormatError } from '../../lib/errors/FormatError.js';
import { crc32, hex32, readZipDirectory, readZipEntry, type ZipEntry } from '../../lib/io/zip.js';
import { buildZip, extraField, type BuildEntry } from './zipBuilder.js';

const dir = mkdtempSync(join(tmpdir(), 'svae-mut-io-'));
let n = 0;
const file = (bytes: Uint8Array | string) => {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, bytes);
  return path;
};
const bytes = (s: string) => Buffer.from(s, 'utf8');
const entryNames = (entries: ZipEntry[]) => entries.map((e) => e.name);

test('zip: every field of every entry is read exactly (name, data offset, size, compression, CRC)', async (t) => {
  const a = bytes('hello');
  const b = bytes('world!!');
  const path = file(buildZip([
    { name: 'archive/a', data: a, comment: 'a comment' }, // the comment must be skipped to find b
    { name: 'archive/ü', data: b, compression: 8, extra: extraField(0x5455, Buffer.from([1, 2, 3, 4, 5])), localExtra: Buffer.alloc(9) },
  ], { prefix: Buffer.alloc(3), comment: Buffer.from('zip comment') }));
  const entries = await readZipDirectory(path);
  t.deepEqual(entries, [
    { name: 'archive/a', dataOffset: 3 + 30 + 9, size: 5, compression: 0, crc32: crc32(a) },
    { name: 'archive/ü', dataOffset: 3 + 30 + 9 + 5 + 30 + Buffer.byteLength('archive/ü') + 9, size: 7, compression: 8, crc32: crc32(b) },
  ]);
  t.deepEqual(await readZipEntry(path, entries[0]!), a);
});

test('zip: an empty archive (the end record alone, at offset 0) and a 65,535-byte archive comment', async (t) => {
  t.deepEqual(await readZipDirectory(file(buildZip([]))), []);
  const long = buildZip([{ name: 'x', data: bytes('x') }], { comment: Buffer.alloc(65535, 0x41) });
  t.deepEqual(entryNames(await readZipDirectory(file(long))), ['x']);
});

test('zip: ZIP64 end records, each marker alone, and ZIP64 extra fields, each value alone', async (t) => {
  const entries: BuildEntry[] = [{ name: 'p', data: bytes('pp') }, { name: 'q', data: bytes('qqq') }];
  const plain = await readZipDirectory(file(buildZip(entries)));
  for (const marker of ['count', 'size', 'offset'] as const) {
    t.deepEqual(await readZipDirectory(file(buildZip(entries, { zip64End: [marker] }))), plain, marker);
  }
  for (const fields of [['usize'], ['csize'], ['offset'], ['usize', 'csize', 'offset'], ['csize', 'offset']] as const) {
    const z = entries.map((e) => ({ ...e, zip64: [...fields], extra: extraField(0x000a, Buffer.alloc(4)) }));
    t.deepEqual(await readZipDirectory(file(buildZip(z, { zip64End: ['count'] }))), plain, fields.join(','));
  }
});

test('zip: malformed archives are FormatErrors that name the file and say why', async (t) => {
  const good = buildZip([{ name: 'a', data: bytes('abc') }]);
  const refuse = async (data: Buffer, why: RegExp) => {
    const path = file(data);
    const error = await t.throwsAsync(readZipDirectory(path), { instanceOf: FormatError });
    t.regex(error!.message, why);
    t.true(error!.message.startsWith(`${path}: not a readable zip archive: `), error!.message);
    t.is((error as FormatError).path, path);
  };
  await refuse(Buffer.from('not a zip at all, just text'), /no end-of-central-directory record/);
  await refuse(Buffer.alloc(0), /no end-of-central-directory record/);
  // The end record says ZIP64 but no locator precedes it (and, in the 22-byte file, nothing can).
  await refuse(buildZip([]).fill(0xff, 10, 12), /ZIP64 locator missing/);
  const noLocator = Buffer.from(good);
  noLocator.writeUInt16LE(0xffff, noLocator.length - 12);
  await refuse(noLocator, /ZIP64 locator missing/);
  const zip64 = buildZip([{ name: 'a', data: bytes('abc') }], { zip64End: ['count'] });
  const badRecord = Buffer.from(zip64);
  badRecord.writeUInt32LE(0x12345678, badRecord.length - 22 - 20 - 56);
  await refuse(badRecord, /ZIP64 end record missing/);
  const truncatedDir = Buffer.from(good);
  truncatedDir.writeUInt32LE(good.length, good.length - 6); // the directory would start at EOF
  await refuse(truncatedDir, /central directory runs past the end/);
  const moreEntries = Buffer.from(good);
  moreEntries.writeUInt16LE(2, good.length - 12); // 2 entries announced, 1 present
  await refuse(moreEntries, /bad central directory entry 1/);
  const badSig = Buffer.from(good);
  badSig.writeUInt32LE(0, 30 + 1 + 3); // the first directory entry's signature
  await refuse(badSig, /bad central directory entry 0/);
  const badLocal = Buffer.from(good);
  badLocal.writeUInt32LE(0, 0);
  await refuse(badLocal, /bad local header for a/);
  const past = Buffer.from(good);
  past.writeUInt32LE(1000, 30 + 1 + 3 + 20); // compressed size past EOF
  await refuse(past, /entry a runs past the end of the file/);
  // A ZIP64 value over 2^53, and an extra field longer than the directory: FormatErrors, not RangeErrors.
  const huge = buildZip([{ name: 'a', data: bytes('abc'), zip64: ['offset'] }]);
  const at = huge.indexOf(Buffer.from([0x01, 0x00, 0x08, 0x00])) + 4;
  huge.writeBigUInt64LE(2n ** 60n, at);
  await refuse(huge, /64-bit value too large/);
  huge.writeBigUInt64LE(2n ** 53n - 1n, at); // the largest safe value is read (and then points past the file)
  await refuse(huge, /bad local header for a/);
  const longExtra = Buffer.from(good);
  longExtra.writeUInt16LE(200, 30 + 1 + 3 + 30);
  await refuse(longExtra, /not a readable zip archive/);
});

test('zip: an entry whose data ends exactly at the end of the file is accepted', async (t) => {
  // [local header of 'x'][directory][end record]: x's data is everything after its header.
  const tail = buildZip([{ name: 'x', data: Buffer.alloc(0) }]).length - 31; // directory + end record
  const built = buildZip([{ name: 'x', data: Buffer.alloc(tail) }]);
  const whole = Buffer.concat([built.subarray(0, 31), built.subarray(31 + tail)]);
  whole.writeUInt32LE(31, whole.length - 6); // the directory now starts right after the header
  const path = file(whole);
  const entries = await readZipDirectory(path);
  t.is(entries[0]!.dataOffset + entries[0]!.size, whole.length);
});

test('zip: an entry with an empty name (its header ends exactly at the directory end); a directory ending exactly at EOF', async (t) => {
  t.deepEqual(entryNames(await readZipDirectory(file(buildZip([{ name: '', data: bytes('x') }])))), ['']);
  // The directory size extended over the end record: the directory then ends exactly at EOF (allowed).
  const good = buildZip([{ name: 'a', data: bytes('abc') }]);
  const exact = Buffer.from(good);
  exact.writeUInt32LE(exact.readUInt32LE(good.length - 10) + 22, good.length - 10);
  t.deepEqual(entryNames(await readZipDirectory(file(exact))), ['a']);
});

test('zip: files are closed after each read, valid or not', async (t) => {
  const { readdirSync } = await import('node:fs');
  const open = () => readdirSync('/proc/self/fd').length;
  const good = file(buildZip([{ name: 'a', data: bytes('abc') }]));
  const bad = file(Buffer.from('not a zip'));
  const [entry] = await readZipDirectory(good);
  const before = open();
  for (let i = 0; i < 20; i++) {
    await readZipDirectory(good);
    await readZipEntry(good, entry!);
    await t.throwsAsync(readZipDirectory(bad));
    await t.throwsAsync(readZipEntry(good, { ...entry!, crc32: 1 }));
  }
  t.true(open() - before < 5, `${open() - before} more open files`);
});

test('readZipDirectory: a non-string path is named', async (t) => {
  await t.throwsAsync(readZipDirectory(5 as unknown as string), { message: 'Expected string for path but received 5 of type number' });
});

test('readZipEntry: compressed, truncated and corrupt entries; the message gives both CRCs as 8 hex digits', async (t) => {
  const path = file(buildZip([{ name: 'a', data: bytes('abc') }]));
  const [entry] = await readZipDirectory(path);
  const compressed = await t.throwsAsync(readZipEntry(path, { ...entry!, compression: 8 }), { instanceOf: FormatError, message: `${path}: entry a is compressed (method 8); only stored entries are supported` });
  const truncated = await t.throwsAsync(readZipEntry(path, { ...entry!, size: 10_000 }), { instanceOf: FormatError, message: new RegExp(`^${path}: entry a is truncated \\(\\d+ of 10000 bytes\\)$`) });
  const actual = crc32(bytes('abc'));
  const corrupt = await t.throwsAsync(readZipEntry(path, { ...entry!, crc32: 0x1 }), {
    instanceOf: FormatError, message: `${path}: entry a is corrupt: its CRC-32 is ${hex32(actual)} but the zip directory says 0x00000001`,
  });
  for (const e of [compressed, truncated, corrupt]) t.is((e as FormatError).path, path);
  t.is(hex32(0xabc), '0x00000abc');
  t.is(hex32(-1), '0xffffffff');
});

test('crc32: the table version (Node < 20.15) equals zlib.crc32', (t) => {
  const samples = [Buffer.alloc(0), bytes('123456789'), Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff))];
  const expected = [0, 0xcbf43926, crc32(samples[2]!)];
  const z = zlibDefault as unknown as { crc32?: unknown };
  const saved = z.crc32;
  t.truthy(saved);
  try {
    delete z.crc32;
    syncBuiltinESMExports(); // the namespace import in zip.ts now lacks crc32
    t.is((zlibNamespace as { crc32?: unknown }).crc32, undefined);
    t.deepEqual(samples.map((s) => crc32(s)), expected);
  } finally {
    z.crc32 = saved;
    syncBuiltinESMExports();
  }
  t.deepEqual(samples.map((s) => crc32(s)), expected);
});

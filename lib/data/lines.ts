import { FormatError } from '../errors/FormatError.js';
import { openRegularFile } from '../files.js';
import { expectString, expectOptions, expectInteger } from '../validate.js';

export interface Line {
  text: string;
  /** 1-based line number. */
  line: number;
}

// ignoreBOM: keep a U+FEFF that starts a decoded block. Without it every decode() call dropped
// one, so a line starting with U+FEFF lost it only when it happened to start a read chunk (the
// lines then depended on chunkBytes); the file's own BOM is dropped once, below.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Finds the first line of `bytes` that is not valid UTF-8 (for the error message). */
function firstBadLine(bytes: Buffer): { offset: number; column: number } {
  let start = 0;
  let k = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    try {
      strict.decode(bytes.subarray(start, end));
    } catch {
      return { offset: k, column: start };
    }
    start = end + 1;
    k++;
  }
  return { offset: 0, column: 0 };
}

/**
 * Streams the lines of a UTF-8 text file (without their '\n' or '\r\n'); the file is never held
 * in memory whole. Invalid UTF-8 is a FormatError naming the file and line. A BOM is dropped.
 * Only a regular file is read (a FIFO or a device is a FormatError, never a hang).
 */
export async function* readLines(path: string, options: { chunkBytes?: number } = {}): AsyncGenerator<Line> {
  expectString(path, 'path');
  expectOptions(options, 'options');
  const chunkBytes = expectInteger(options.chunkBytes ?? 1 << 20, 'chunkBytes', 1, 1 << 30);
  let carry: Buffer = Buffer.alloc(0);
  let lineNo = 1;
  let first = true;
  const { handle } = await openRegularFile(path);
  const stream = handle.createReadStream({ highWaterMark: chunkBytes });
  const emit = function* (bytes: Buffer): Generator<Line> {
    let text: string;
    try {
      text = strict.decode(bytes);
    } catch {
      const bad = firstBadLine(bytes);
      throw new FormatError(`${path}:${lineNo + bad.offset}: invalid UTF-8`, { path, line: lineNo + bad.offset });
    }
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    for (const raw of text.split('\n')) {
      yield { text: raw.endsWith('\r') ? raw.slice(0, -1) : raw, line: lineNo++ };
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const last = chunk.lastIndexOf(10);
      if (last < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const complete = Buffer.concat([carry, chunk.subarray(0, last)]);
      carry = Buffer.from(chunk.subarray(last + 1));
      yield* emit(complete);
    }
  } catch (error) {
    if (error instanceof FormatError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new FormatError(`${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { path });
  }
  if (carry.length > 0) yield* emit(carry);
}

import test from 'ava';
import fc from 'fast-check';

import { defaultCutMarks, InvalidArgumentError, segment, segmentStream } from '../../lib/index.js';

// Text built from the characters that matter to the rules, plus any UTF-16 code unit
// (lone surrogates included) so nothing can make segment() throw or lose text.
const interesting = [...defaultCutMarks, ' ', '  ', '\n', '\r\n', '\r', '\t', '"', "'", ')', '”', '-', '/',
  '3', '14', 'a', 'Hello', 'é', '\u0301', '日本', '🙂', '\u2028', '\u00a0'];
const piece = fc.oneof(
  fc.constantFrom(...interesting),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
);
const text = fc.array(piece, { maxLength: 60 }).map((parts) => parts.join(''));
const isSpace = (s: string) => /^\s$/u.test(s);

test('lossless: segments join back to the input, for any string', (t) => {
  fc.assert(fc.property(text, (s) => segment(s).join('') === s), { numRuns: 2000 });
  t.pass();
});

test('no empty segments; every segment but the last ends in a non-whitespace character', (t) => {
  fc.assert(
    fc.property(text, (s) => {
      const segs = segment(s);
      return segs.every((x) => x.length > 0) && segs.slice(0, -1).every((x) => !isSpace(x.at(-1)!));
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('each segment is itself one segment (cuts happen only where the rules put them)', (t) => {
  fc.assert(fc.property(text, (s) => segment(s).every((x) => segment(x).length === 1 && segment(x)[0] === x)), { numRuns: 1000 });
  t.pass();
});

test('a cut follows a cut mark or precedes a whitespace run with a line break', (t) => {
  fc.assert(
    fc.property(text, (s) => {
      const segs = segment(s);
      for (let k = 1; k < segs.length; k++) {
        const prev = segs[k - 1]!;
        const next = segs[k]!;
        const afterMark = /[,.!?;:，。！？；：…][^\p{L}\p{N}\s]*$/u.test(prev);
        const beforeBreak = /^\s*[\n\r\u2028\u2029]/u.test(next);
        if (!afterMark && !beforeBreak) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('the streaming form equals the one-shot form for any chunking', async (t) => {
  await fc.assert(
    fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 8 }), async (s, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
      const chunks: string[] = [];
      let at = 0;
      for (const p of [...points, s.length]) {
        chunks.push(s.slice(at, p));
        at = p;
      }
      const streamed: string[] = [];
      for await (const seg of segmentStream(chunks)) streamed.push(seg);
      return JSON.stringify(streamed) === JSON.stringify(segment(s));
    }),
    { numRuns: 500 },
  );
  t.pass();
});

const examples: Array<[string, string[]]> = [
  ['Hello, world. Bye.', ['Hello,', ' world.', ' Bye.']],
  ['He said "Stop." Then left.', ['He said "Stop."', ' Then left.']],
  ['(See below.) Next', ['(See below.)', ' Next']],
  ['Wait... what?! Really', ['Wait...', ' what?!', ' Really']],
  ['Pi is 3.14, not 3,000 or 10:30.', ['Pi is 3.14,', ' not 3,000 or 10:30.']],
  ['Version 2. 5 items', ['Version 2.', ' 5 items']],
  ['Dr. Smith arrived.', ['Dr.', ' Smith arrived.']], // abbreviations are cut, as in the paper
  ['The U.N.-chartered plane', ['The U.', 'N.-', 'chartered plane']], // '.-' is one BPE pre-token
  ['line one\r\nline two\n\nthree', ['line one', '\r\nline two', '\n\nthree']],
  ['ends with newline.\n', ['ends with newline.\n']],
  ['no punctuation at all', ['no punctuation at all']],
  ['trailing text after the last mark. and more', ['trailing text after the last mark.', ' and more']],
  ['你好，世界。我们走吧！好', ['你好，', '世界。', '我们走吧！', '好']],
  ['Emoji!🙂 next', ['Emoji!🙂', ' next']],
  ['', []],
];

for (const [input, expected] of examples) {
  test(`example ${JSON.stringify(input)}`, (t) => {
    t.deepEqual(segment(input), expected);
  });
}

test('the cut set and line-break cutting are configurable', (t) => {
  t.deepEqual(segment('a, b. c; d', { cutMarks: '.' }), ['a, b.', ' c; d']);
  t.deepEqual(segment('one\ntwo. three', { cutAtLineBreaks: false }), ['one\ntwo.', ' three']);
  t.throws(() => segment(42 as unknown as string), { instanceOf: InvalidArgumentError, message: 'Expected string for text but received 42 of type number' });
});

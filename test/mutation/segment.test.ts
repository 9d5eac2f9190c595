/**
 * lib/text/segment.ts at the edges of each rule, for `npm run mutate -- lib/text/segment.ts`:
 * every whitespace and line-break code point the rules name, the ASCII ranges of the
 * punctuation run, digits on both sides of a number separator (and at the ends of the text),
 * trailing whitespace, and the streaming form's argument and surrogate handling.
 */
import test from 'ava';

import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';
import { segment, segmentStream } from '../../lib/text/segment.js';

const hex = (c: string) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;
async function collect(chunks: Iterable<string> | AsyncIterable<string>, options?: Parameters<typeof segment>[1]): Promise<string[]> {
  const out: string[] = [];
  for await (const s of segmentStream(chunks, options)) out.push(s);
  return out;
}

// The whitespace the rules name (isWhitespace): tab..CR, space, NEL, NBSP, ogham, en quad..hair,
// line/paragraph separators, narrow NBSP, math space, ideographic space.
const whitespace = ['\t', '\v', '\f', ' ', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u202f', '\u205f', '\u3000'];
const lineBreaks = ['\n', '\r', '\u2028', '\u2029'];

test('whitespace before a line break starts the next segment, for every whitespace character', (t) => {
  for (const w of whitespace) t.deepEqual(segment(`ab${w}\ncd`), ['ab', `${w}\ncd`], hex(w));
  for (const b of lineBreaks) t.deepEqual(segment(`ab \t${b}cd`), ['ab', ` \t${b}cd`], hex(b));
  // Characters next to the whitespace ranges are not whitespace: they stay before the break.
  for (const c of ['\u0008', '\u000e', '\u1fff', '\u200b', '\u2030', '\u2fff', '\u3001', 'x']) {
    t.deepEqual(segment(`ab${c}\ncd`), [`ab${c}`, '\ncd'], hex(c));
  }
});

test('every line break cuts; a run of breaks and whitespace goes whole to the next segment', (t) => {
  for (const b of lineBreaks) t.deepEqual(segment(`one${b}two`), ['one', `${b}two`], hex(b));
  t.deepEqual(segment('one\n \n\ttwo\n'), ['one', '\n \n\ttwo\n']);
  t.deepEqual(segment('\n\nstart'), ['\n\nstart']);
  t.deepEqual(segment('a\n \nb', { cutAtLineBreaks: false }), ['a\n \nb']);
  t.deepEqual(segment('x\u000by'), ['x\u000by']); // a vertical tab is whitespace, not a line break
});

test('trailing whitespace joins the last segment, for every whitespace character', (t) => {
  for (const w of whitespace) t.deepEqual(segment(`Hi. Yes.${w}${w}`), ['Hi.', ` Yes.${w}${w}`], hex(w));
  t.deepEqual(segment('Hi. x'), ['Hi.', ' x']);
  t.deepEqual(segment('   '), ['   ']);
  t.deepEqual(segment('Hi.\u200b'), ['Hi.\u200b']); // zero-width space: a format character, part of the punctuation run
});

test('the punctuation run after a mark: ASCII edges, symbols, marks and astral symbols', (t) => {
  // Printable ASCII that is not a letter or digit continues the run; letters, digits and space end it.
  for (const c of ['!', '"', '/', ':', '@', '[', '`', '{', '~', ')', '\u007f']) t.deepEqual(segment(`a.${c}b`), [`a.${c}`, 'b'], hex(c));
  for (const c of ['0', '9', 'A', 'Z', 'a', 'z']) t.deepEqual(segment(`a.${c}b`), ['a.', `${c}b`], hex(c));
  t.deepEqual(segment('a.\u00bbb'), ['a.\u00bb', 'b']); // » (non-ASCII punctuation)
  t.deepEqual(segment('a.\u0301b'), ['a.\u0301', 'b']); // a combining mark
  t.deepEqual(segment('a.🙂b'), ['a.🙂', 'b']); // an astral symbol: 2 code units
  t.deepEqual(segment('a.🙂🙂.b'), ['a.🙂🙂.', 'b']);
  t.deepEqual(segment('a.éb'), ['a.', 'éb']); // a non-ASCII letter ends the run
  t.deepEqual(segment('a.٣b'), ['a.', '٣b']); // a non-ASCII digit too
  t.deepEqual(segment('a.\u00a0b'), ['a.', '\u00a0b']); // non-ASCII whitespace too
  t.deepEqual(segment('a.𝐀b'), ['a.', '𝐀b']); // an astral letter
  t.deepEqual(segment('end.!?'), ['end.!?']);
  t.deepEqual(segment('a.\ud800b'), ['a.\ud800', 'b']); // a lone surrogate is not a letter
});

test('number separators: only between two ASCII digits, and only , . :', (t) => {
  t.deepEqual(segment('3.14 and 1,000 at 10:30.'), ['3.14 and 1,000 at 10:30.']);
  t.deepEqual(segment('0.9'), ['0.9']);
  t.deepEqual(segment('9,0'), ['9,0']);
  t.deepEqual(segment('x.5'), ['x.', '5']);
  t.deepEqual(segment('5.x'), ['5.', 'x']);
  t.deepEqual(segment('.5'), ['.', '5']); // at the start: no digit before
  t.deepEqual(segment('5.'), ['5.']); // at the end: no digit after
  t.deepEqual(segment('5!5'), ['5!', '5']); // ! is not a number separator
  t.deepEqual(segment('5;5'), ['5;', '5']);
  t.deepEqual(segment('5/.5'), ['5/.', '5']);
  t.deepEqual(segment('٣.٣'), ['٣.', '٣']); // non-ASCII digits do not protect
  t.deepEqual(segment('1.2.3'), ['1.2.3']);
});

test('custom cut marks replace the defaults; the default string gives the default set', (t) => {
  t.deepEqual(segment('a;b|c', { cutMarks: '|' }), ['a;b|', 'c']);
  t.deepEqual(segment('a;b|c', { cutMarks: '' }), ['a;b|c']);
  t.deepEqual(segment('a,b.c', { cutMarks: ',.!?;:，。！？；：…' }), ['a,', 'b.', 'c']);
  t.deepEqual(segment('a,b', {}), ['a,', 'b']);
  t.deepEqual(segment('a\nb', { cutAtLineBreaks: true }), ['a', '\nb']);
  t.throws(() => segment('a', { cutMarks: 5 as unknown as string }), { instanceOf: InvalidArgumentError, message: 'Expected string for cutMarks but received 5 of type number' });
  t.throws(() => segment('a', { cutAtLineBreaks: 'no' as unknown as boolean }), { instanceOf: InvalidArgumentError, message: "Expected boolean for cutAtLineBreaks but received 'no' of type string" });
  t.deepEqual(segment(''), []);
});

test('segmentStream: argument errors, sync and async sources, chunk boundaries at every rule', async (t) => {
  await t.throwsAsync(collect(undefined as unknown as string[]), { instanceOf: InvalidArgumentError, message: 'Expected iterable of strings for chunks but received undefined' });
  await t.throwsAsync(collect(5 as unknown as string[]), { instanceOf: InvalidArgumentError, message: 'Expected iterable of strings for chunks but received 5 of type number' });
  await t.throwsAsync(collect([7] as unknown as string[]), { instanceOf: InvalidArgumentError, message: 'Expected string for chunk but received 7 of type number' });
  await t.throwsAsync(collect(['a'], { cutMarks: 5 as unknown as string }), { instanceOf: InvalidArgumentError });
  async function* gen() {
    yield 'Hello, wo';
    yield 'rld. It costs 3';
    yield '.50!\n';
    yield '  Bye';
  }
  t.deepEqual(await collect(gen()), segment('Hello, world. It costs 3.50!\n  Bye'));
  t.deepEqual(await collect('ab. cd'), ['ab.', ' cd']); // a string is an iterable of characters
  t.deepEqual(await collect([]), []);
  t.deepEqual(await collect(['', '']), []);
  t.deepEqual(await collect(['a.', '🙂', 'b']), ['a.🙂', 'b']);
  t.deepEqual(await collect(['a.\ud83d', '\ude42b']), ['a.🙂', 'b']); // a surrogate pair split across chunks
  t.deepEqual(await collect(['x \t', '\ny']), ['x', ' \t\ny']);
  t.deepEqual(await collect(['a;b'], { cutMarks: ';' }), ['a;', 'b']);
  t.deepEqual(await collect(['a\nb'], { cutAtLineBreaks: false }), ['a\nb']);
});

test('segmentStream yields a segment as soon as it is certain, before the next chunk is read', async (t) => {
  let pulled = 0;
  async function* source() {
    for (const chunk of ['Hello. Wor', 'ld, yes', '. End']) {
      pulled++;
      yield chunk;
    }
  }
  const it = segmentStream(source())[Symbol.asyncIterator]();
  t.deepEqual(await it.next(), { value: 'Hello.', done: false });
  t.is(pulled, 1);
  t.deepEqual(await it.next(), { value: ' World,', done: false });
  t.is(pulled, 2);
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
  t.deepEqual(rest, [' yes.', ' End']);
});

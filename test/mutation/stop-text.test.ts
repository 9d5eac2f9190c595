/**
 * lib/text/stopText.ts, for `npm run mutate -- lib/text/stopText.ts`: Brown text pushed in pieces
 * of every size against a reference written from the contract: the kept text is cut before the
 * earliest stop string of the whole text; after each push exactly the text minus its longest
 * suffix that is a proper prefix of a stop string has been streamed; nothing is streamed twice.
 */
import test from 'ava';

import { StopText } from '../../lib/text/stopText.js';
import { firstBrown } from './brownText.js';

/** Where the whole text is cut: the earliest start of any stop string (or its length). */
function cutOf(text: string, stops: string[]): number {
  let cut = text.length;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && at < cut) cut = at;
  }
  return cut;
}

/** Length of the longest suffix of `text` that is a proper prefix of a stop string. */
function heldOf(text: string, stops: string[]): number {
  let held = 0;
  for (const s of stops) for (let k = 1; k < s.length; k++) if (k <= text.length && text.endsWith(s.slice(0, k)) && k > held) held = k;
  return held;
}

function check(t: import('ava').ExecutionContext, text: string, stops: string[], size: number) {
  const s = new StopText(stops);
  const cut = cutOf(text, stops);
  let streamed = '';
  let fed = '';
  for (let i = 0; i < text.length; i += size) {
    const piece = text.slice(i, i + size);
    fed += piece;
    const r = s.push(piece);
    streamed += r.emit;
    if (cutOf(fed, stops) < fed.length) {
      t.true(r.stopped, `stopped at ${i}`);
      t.is(streamed, text.slice(0, cut));
      t.is(s.text, text.slice(0, cut));
      t.true(s.stopped);
      t.deepEqual(s.push('more'), { emit: '', stopped: true });
      t.is(s.flush(), '');
      t.is(s.text, text.slice(0, cut));
      return;
    }
    t.false(r.stopped);
    t.false(s.stopped);
    t.is(streamed, fed.slice(0, fed.length - heldOf(fed, stops)), `after ${fed.length} characters (pieces of ${size})`);
  }
  t.is(cut, text.length);
  streamed += s.flush();
  t.is(streamed, text);
  t.is(s.flush(), '', 'nothing twice');
  t.is(s.text, text);
}

test('Brown text in pieces of 1..9 characters, with stop strings that match, almost match, or overlap', async (t) => {
  const text = (await firstBrown(3)).join('\n\n');
  const jury = text.indexOf('jury');
  t.true(jury > 0);
  const stopSets = [
    ['jury'], ['ju', 'jury'], ['ury', 'j'], ['\n\n'], ['Grand Jury said Friday'], ['zzz', 'Atlanta'],
    ['the jurors'], ['said Fri', 'County Gr'], ['xy', 'County Grand Jury said'], [text.slice(5, 6)], ['nowhere!'], [], ['ee', 'e e'],
  ];
  for (const stops of stopSets) for (const size of [1, 2, 3, 4, 7, 9, text.length]) check(t, text, stops, size);
});

test('held text is released when the next piece settles it; the earliest of two stops wins', (t) => {
  const s = new StopText(['ABC', 'BD']);
  t.deepEqual(s.push('xA'), { emit: 'x', stopped: false });
  t.deepEqual(s.push('B'), { emit: '', stopped: false });
  t.deepEqual(s.push('x'), { emit: 'ABx', stopped: false });
  t.deepEqual(s.push('AB'), { emit: '', stopped: false });
  t.deepEqual(s.push('D'), { emit: 'A', stopped: true });
  t.is(s.text, 'xABxA');
  const long = new StopText(['abcdef', 'f']);
  t.deepEqual(long.push('abcde'), { emit: '', stopped: false });
  t.deepEqual(long.push('f'), { emit: '', stopped: true });
  t.is(long.text, '');
  const empty = new StopText(['END']);
  t.deepEqual(empty.push(''), { emit: '', stopped: false });
  t.is(empty.flush(), '');
});

import test from 'ava';

import { StopText } from '../../lib/serve/stopText.js';

test('StopText holds back a possible stop-string prefix and releases it when it does not match', (t) => {
  const s = new StopText(['END']);
  t.deepEqual(s.push('abc E'), { emit: 'abc ', stopped: false });
  t.deepEqual(s.push('x'), { emit: 'Ex', stopped: false });
  t.deepEqual(s.push(' EN'), { emit: ' ', stopped: false });
  t.is(s.flush(), 'EN');
  t.is(s.text, 'abc Ex EN');
});

test('StopText cuts before the earliest match, also across pieces', (t) => {
  const s = new StopText(['END', 'x y']);
  t.deepEqual(s.push('one E'), { emit: 'one ', stopped: false });
  t.deepEqual(s.push('ND two'), { emit: '', stopped: true });
  t.is(s.text, 'one ');
  t.is(s.flush(), '');
  const u = new StopText(['b', 'abc']);
  t.deepEqual(u.push('xxabc'), { emit: 'xx', stopped: true });
  t.is(u.text, 'xx');
});

test('StopText without stop strings streams everything', (t) => {
  const s = new StopText([]);
  t.deepEqual(s.push('a'), { emit: 'a', stopped: false });
  t.deepEqual(s.push('b'), { emit: 'b', stopped: false });
  t.is(s.text, 'ab');
});

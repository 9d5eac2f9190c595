/**
 * lib/validate.ts, exactly: the wording of every message and every boundary (issue 15, item 16:
 * what Stryker's mutants of validate.ts showed the suite did not pin down).
 */
import test from 'ava';

import { InvalidArgumentError, SentenceVaeError } from '../../lib/index.js';
import {
  describe, expectBoolean, expectInteger, expectNumber, expectOneOf, expectShape, expectString, invalid,
} from '../../lib/validate.js';

test('describe: one wording per kind of value', (t) => {
  t.is(describe(null), 'null');
  t.is(describe(undefined), 'undefined');
  t.is(describe([1, 2]), 'an array');
  t.is(describe(new Int32Array(2)), 'a Int32Array');
  t.is(describe(Buffer.from('x')), 'a Buffer');
  t.is(describe('abc'), "'abc' of type string");
  t.is(describe(''), "'' of type string");
  t.is(describe('x'.repeat(60)), `'${'x'.repeat(60)}' of type string`, '60 characters are shown whole');
  t.is(describe('x'.repeat(61)), `'${'x'.repeat(57)}...' of type string`, 'longer strings are cut to 57 + ...');
  t.is(describe(-3), '-3 of type number');
  t.is(describe(Number.NaN), 'NaN of type number');
  t.is(describe(true), 'true of type boolean');
  t.is(describe(12n), '12 of type bigint');
  t.is(describe(() => 1), 'a function');
  t.is(describe({}), 'an object (Object)');
  t.is(describe(new Map()), 'an object (Map)');
  t.is(describe(Object.create(null)), 'an object (Object)');
});

test('invalid: throws an InvalidArgumentError with the house wording', (t) => {
  const error = t.throws(() => invalid('positive integer', 'width', -3), { instanceOf: InvalidArgumentError });
  t.is(error.message, 'Expected positive integer for width but received -3 of type number');
  t.true(error instanceof SentenceVaeError);
  t.is(error.code, 'ERR_SVAE_INVALID_ARGUMENT');
});

test('expectInteger: accepts integers in range (bounds included), names the range it wanted', (t) => {
  t.is(expectInteger(5, 'n'), 5);
  t.is(expectInteger(-5, 'n'), -5);
  t.is(expectInteger(0, 'n', 0), 0);
  t.is(expectInteger(10, 'n', 0, 10), 10);
  t.is(expectInteger(3, 'n', 3, 3), 3);
  const message = (f: () => unknown) => t.throws(f, { instanceOf: InvalidArgumentError }).message;
  t.is(message(() => expectInteger(1.5, 'n')), 'Expected integer for n but received 1.5 of type number');
  t.is(message(() => expectInteger('1', 'n')), "Expected integer for n but received '1' of type string");
  t.is(message(() => expectInteger(Number.NaN, 'n')), 'Expected integer for n but received NaN of type number');
  t.is(message(() => expectInteger(Infinity, 'n')), 'Expected integer for n but received Infinity of type number');
  t.is(message(() => expectInteger(-1, 'n', 0)), 'Expected integer >= 0 for n but received -1 of type number');
  t.is(message(() => expectInteger(11, 'n', 0, 10)), 'Expected integer between 0 and 10 for n but received 11 of type number');
  t.is(message(() => expectInteger(-1, 'n', 0, 10)), 'Expected integer between 0 and 10 for n but received -1 of type number');
  t.is(message(() => expectInteger(6, 'n', -Infinity, 5)), 'Expected integer between -Infinity and 5 for n but received 6 of type number');
});

test('expectNumber: finite numbers in range (bounds included)', (t) => {
  t.is(expectNumber(0.5, 'p'), 0.5);
  t.is(expectNumber(-1e300, 'p'), -1e300);
  t.is(expectNumber(0, 'p', 0, 1), 0);
  t.is(expectNumber(1, 'p', 0, 1), 1);
  const message = (f: () => unknown) => t.throws(f, { instanceOf: InvalidArgumentError }).message;
  t.is(message(() => expectNumber(Number.NaN, 'p')), 'Expected finite number for p but received NaN of type number');
  t.is(message(() => expectNumber(Infinity, 'p')), 'Expected finite number for p but received Infinity of type number');
  t.is(message(() => expectNumber(-Infinity, 'p')), 'Expected finite number for p but received -Infinity of type number');
  t.is(message(() => expectNumber('1', 'p')), "Expected finite number for p but received '1' of type string");
  t.is(message(() => expectNumber(1.0001, 'p', 0, 1)), 'Expected number between 0 and 1 for p but received 1.0001 of type number');
  t.is(message(() => expectNumber(-0.0001, 'p', 0, 1)), 'Expected number between 0 and 1 for p but received -0.0001 of type number');
  t.is(message(() => expectNumber(-1, 'p', 0)), 'Expected number between 0 and Infinity for p but received -1 of type number');
  t.is(message(() => expectNumber(6, 'p', -Infinity, 5)), 'Expected number between -Infinity and 5 for p but received 6 of type number');
});

test('expectString, expectBoolean, expectOneOf', (t) => {
  t.is(expectString('', 's'), '');
  t.is(t.throws(() => expectString(1, 's'), { instanceOf: InvalidArgumentError }).message, 'Expected string for s but received 1 of type number');
  t.is(expectBoolean(false, 'b'), false);
  t.is(expectBoolean(true, 'b'), true);
  t.is(t.throws(() => expectBoolean(0, 'b'), { instanceOf: InvalidArgumentError }).message, 'Expected boolean for b but received 0 of type number');
  t.is(expectOneOf('b', 'mode', ['a', 'b']), 'b');
  t.is(t.throws(() => expectOneOf('c', 'mode', ['a', 'b']), { instanceOf: InvalidArgumentError }).message, "Expected one of 'a', 'b' for mode but received 'c' of type string");
  t.is(t.throws(() => expectOneOf(1, 'mode', ['a']), { instanceOf: InvalidArgumentError }).message, "Expected one of 'a' for mode but received 1 of type number");
});

test('expectShape: arrays of non-negative integers, each element named', (t) => {
  t.deepEqual(expectShape([2, 0, 3], 'shape'), [2, 0, 3]);
  t.deepEqual(expectShape([], 'shape'), []);
  t.is(t.throws(() => expectShape('2,3', 'shape'), { instanceOf: InvalidArgumentError }).message, "Expected array of non-negative integers for shape but received '2,3' of type string");
  t.is(t.throws(() => expectShape([2, -1], 'shape'), { instanceOf: InvalidArgumentError }).message, 'Expected integer >= 0 for shape[1] but received -1 of type number');
  t.is(t.throws(() => expectShape([1.5], 'shape'), { instanceOf: InvalidArgumentError }).message, 'Expected integer >= 0 for shape[0] but received 1.5 of type number');
});

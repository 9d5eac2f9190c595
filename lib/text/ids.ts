import { expectInteger, invalid } from '../validate.js';

/** Token ids are int32 (the addon's and the Int32Array batches' type). */
export const maxId = 2147483647;

// Integer typed arrays whose every value fits an Int32Array slot as itself or wraps the way
// the caller chose; their elements need no per-element check (only BigInt and float arrays do).
const integerArrays = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array];

/**
 * Checks a row of token ids: an array or an integer typed array (Int8 … Int32; Uint32 and float
 * arrays have each element checked) of integers in [-2^31, 2^31). Holes, BigInts, symbols and
 * objects are InvalidArgumentErrors naming the element (`rows[2][5]`), never a raw TypeError.
 * @returns the row, typed as an ArrayLike of numbers.
 * @example
 * ```ts
 * expectIds([2, 5, 6], 'seqs[0]');      // ok
 * expectIds([2, 5n], 'seqs[0]');        // InvalidArgumentError: Expected integer between … for seqs[0][1] …
 * ```
 */
export function expectIds(value: unknown, name: string, what = 'array of token ids'): ArrayLike<number> {
  if (integerArrays.some((C) => value instanceof C)) return value as ArrayLike<number>;
  if (!Array.isArray(value) && !(value instanceof Uint32Array) && !(value instanceof Float32Array) && !(value instanceof Float64Array)) {
    invalid(what, name, value);
  }
  const row = value as ArrayLike<unknown>;
  for (let i = 0; i < row.length; i++) expectInteger(row[i], `${name}[${i}]`, -maxId - 1, maxId);
  return value as ArrayLike<number>;
}

/** An array of id rows (see expectIds), every index present. */
export function expectIdRows(value: unknown, name: string): ArrayLike<number>[] {
  if (!Array.isArray(value)) invalid('array of id arrays', name, value);
  for (let i = 0; i < value.length; i++) expectIds(value[i], `${name}[${i}]`);
  return value as ArrayLike<number>[];
}

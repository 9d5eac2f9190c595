import { InvalidArgumentError } from './errors/InvalidArgumentError.js';

/** "-3 of type number", "'abc' of type string", "an array", ... (one wording everywhere). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  switch (typeof value) {
    case 'string': return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}' of type string`;
    case 'number': case 'boolean': case 'bigint': return `${String(value)} of type ${typeof value}`;
    case 'function': return 'a function';
    default: return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  }
}

/** Throws "Expected <what> for <name> but received <value>". */
export function invalid(what: string, name: string, value: unknown): never {
  throw new InvalidArgumentError(`Expected ${what} for ${name} but received ${describe(value)}`);
}

export function expectInteger(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = min === -Infinity && max === Infinity ? 'integer'
      : max === Infinity ? `integer >= ${min}` : `integer between ${min} and ${max}`;
    invalid(range, name, value);
  }
  return value;
}

export function expectNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    invalid(min === -Infinity && max === Infinity ? 'finite number' : `number between ${min} and ${max}`, name, value);
  }
  return value;
}

export function expectString(value: unknown, name: string): string {
  if (typeof value !== 'string') invalid('string', name, value);
  return value;
}

export function expectBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') invalid('boolean', name, value);
  return value;
}

export function expectOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalid(`one of ${allowed.map((a) => `'${a}'`).join(', ')}`, name, value);
  }
  return value as T;
}

export function expectShape(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) invalid('array of non-negative integers', name, value);
  value.forEach((d, i) => expectInteger(d, `${name}[${i}]`, 0));
  return value as number[];
}

/**
 * An options argument: `undefined` gives `{}`; anything but a plain object (a string such as
 * `create('tiny')`, null, an array) is an error rather than silently meaning "defaults".
 */
export function expectOptions<T extends object>(value: T | undefined, name = 'options'): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('options object', name, value);
  return value;
}

/** A dense array (no holes): every index from 0 to length - 1 is checked by `each`. */
export function expectArray<T>(value: unknown, name: string, what: string, each?: (item: unknown, name: string) => T): T[] {
  if (!Array.isArray(value)) invalid(what, name, value);
  if (each) for (let i = 0; i < value.length; i++) each(value[i], `${name}[${i}]`);
  return value as T[];
}

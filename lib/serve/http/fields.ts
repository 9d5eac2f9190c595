import { RequestError } from './RequestError.js';

/** Like lib/validate's describe(), for JSON values; a missing field reads "nothing" (never a literal undefined). */
export function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'string': return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}' of type string`;
    case 'number': case 'boolean': return `${String(value)} of type ${typeof value}`;
    default: return 'an object';
  }
}

/** A 400 in the house wording: "Expected <what> for <param> but received <value>". */
export function badField(what: string, param: string, value: unknown, why = ''): RequestError {
  return new RequestError(400, `Expected ${what} for ${param} but received ${describeJson(value)}${why}`, { param });
}

/** Reads the JSON body's fields by name; absent and null both mean "not set", as in OpenAI's API. */
export class Fields {
  readonly #body: Record<string, unknown>;

  constructor(body: unknown) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badField('a JSON object', 'body', body);
    this.#body = body as Record<string, unknown>;
  }

  raw(name: string): unknown {
    return this.#body[name] ?? undefined;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string): string | undefined {
    const v = this.raw(name);
    if (v !== undefined && typeof v !== 'string') throw badField('a string', name, v);
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.raw(name);
    if (v !== undefined && typeof v !== 'boolean') throw badField('a boolean', name, v);
    return v;
  }

  number(name: string, min: number, max: number): number | undefined {
    const v = this.raw(name);
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)) throw badField(`a number between ${min} and ${max}`, name, v);
    return v;
  }

  integer(name: string, min: number, max: number, why = ''): number | undefined {
    const v = this.raw(name);
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) throw badField(`an integer between ${min} and ${max}`, name, v, why);
    return v;
  }

  /** A field this server does not implement: accepted only when absent or equal to OpenAI's default. */
  unsupported(name: string, isDefault: (v: unknown) => boolean, what: string): void {
    const v = this.raw(name);
    if (v !== undefined && !isDefault(v)) throw new RequestError(400, `${name} is not supported by this server (${what}); received ${describeJson(v)}`, { param: name, code: 'unsupported_parameter' });
  }
}

import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';

/** `--name value` / `--flag` / `--name=value` parsing; unknown flags are an error. */
export function parseFlags(argv: readonly string[], known: Record<string, 'string' | 'number' | 'boolean'>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new InvalidArgumentError(`Expected a --flag but received '${arg}'`);
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = known[rawName];
    if (!kind) throw new InvalidArgumentError(`Unknown flag --${rawName}; known: ${Object.keys(known).map((k) => `--${k}`).join(', ')}`);
    if (kind === 'boolean') {
      out[rawName] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new InvalidArgumentError(`Expected a value after --${rawName}`);
    if (kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new InvalidArgumentError(`Expected a number for --${rawName} but received '${value}'`);
      out[rawName] = n;
    } else {
      out[rawName] = value;
    }
  }
  return out;
}

/**
 * Checks of parsed command-line flags, in the flags' own names ("Expected integer >= 1 for
 * --max-new-tokens but received 0 of type number"), so every command can validate all its flags
 * before it prints anything or loads a model.
 */
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import type { LoadDType } from '../models/inferenceDType.js';
import { resolveDevice } from '../runtime.js';
import type { Device } from '../tensor/Tensor.js';
import { expectInteger, expectNumber, expectOneOf, invalid } from '../validate.js';

export type Flags = Record<string, string | number | boolean>;

/** An integer flag in [min, max], or undefined when not given. */
export function intFlag(f: Flags, name: string, min: number, max = Infinity): number | undefined {
  return f[name] === undefined ? undefined : expectInteger(f[name], `--${name}`, min, max);
}

/** A finite number flag in [min, max], or undefined when not given. */
export function numFlag(f: Flags, name: string, min: number, max = Infinity): number | undefined {
  const v = f[name];
  if (v === undefined) return undefined;
  if (max !== Infinity) return expectNumber(v, `--${name}`, min, max);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) invalid(`number >= ${min}`, `--${name}`, v);
  return v;
}

/** A number flag that must be above `min` (a learning rate, minutes), or undefined when not given. */
export function positiveFlag(f: Flags, name: string): number | undefined {
  const v = f[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) invalid('number > 0', `--${name}`, v);
  return v;
}

/** One of `allowed`, or undefined when not given. */
export function oneOfFlag<T extends string>(f: Flags, name: string, allowed: readonly T[]): T | undefined {
  return f[name] === undefined ? undefined : expectOneOf(f[name], `--${name}`, allowed);
}

/** A string flag the command cannot run without. */
export function requiredFlag(f: Flags, name: string, what: string, usage: string): string {
  const v = f[name];
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`--${name} ${what} is required\n\n${usage}`);
  return v;
}

/** --device: cpu, cuda, cuda:N or auto. */
export function deviceFlag(f: Flags, name = 'device'): Device | undefined {
  const v = f[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^(cpu|cuda|cuda:\d+|auto)$/.test(v)) invalid("'cpu', 'cuda', 'cuda:N' or 'auto'", `--${name}`, v);
  return v as Device;
}

export const dtypes = ['float32', 'bfloat16', 'float16'] as const;

/** --dtype of the commands that only run a model (generate, serve). */
export const inferenceDtypes = ['auto', 'float32', 'bfloat16', 'float16', 'int8'] as const;

/**
 * --dtype of generate and serve. 'auto', the default, is int8 on the CPU — the fastest precision
 * whose accuracy is within issue 13's bars on the trained Brown models (docs/benchmarks.md,
 * "Accuracy") — and on CUDA the library's 'auto': the checkpoint's precision (float32 for a
 * float folder; an int8 folder there is a DTypeError that says int8 runs on the CPU only).
 * The library itself never quantizes by default: a loaded model may be trained, int8 cannot.
 */
export function inferenceDtypeFlag(f: Flags, device: Device): LoadDType {
  const v = oneOfFlag(f, 'dtype', inferenceDtypes) ?? 'auto';
  if (v !== 'auto') return v;
  return resolveDevice(device) === 'cpu' ? 'int8' : 'auto';
}
export const ampModes = ['off', 'bf16', 'fp16'] as const;

/** --temperature, --top-k, --top-p, --seed, --sample: the sampling flags shared by generate and reconstruct. */
export function samplingFlags(f: Flags): { sample: boolean; temperature: number; topK: number; topP: number; seed: number } {
  return {
    sample: f.sample === true,
    temperature: positiveFlag(f, 'temperature') ?? 1,
    topK: intFlag(f, 'top-k', 0) ?? 0,
    topP: numFlag(f, 'top-p', 0, 1) ?? 1,
    seed: intFlag(f, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 0,
  };
}

/** Flags of the sampling options, for parseFlags. */
export const samplingFlagKinds = { sample: 'boolean', temperature: 'number', 'top-k': 'number', 'top-p': 'number', seed: 'number' } as const;

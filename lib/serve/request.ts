import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { expectBoolean, expectInteger, expectNumber, expectString, invalid } from '../validate.js';
import { nativeControls, type NativeControls } from '../models/sampling.js';
import type { EngineModelKind, EngineRequest } from './types.js';

/** A request after submit()'s checks, every default filled in. */
export interface NormalizedRequest {
  prompt: string;
  maxTokens: number;
  maxSentences: number;
  greedy: boolean;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  stop: readonly string[];
  signal: AbortSignal | undefined;
  timeoutMs: number | undefined;
  ignoreStop: boolean;
  sentenceTokens: readonly number[] | undefined;
  /** Repetition controls in the native rows' terms (minTokens: OPT's minNewTokens / the SLLM's minSentenceTokens). */
  controls: NativeControls;
}

/** The most stop strings a request may carry (OpenAI allows 4). */
export const maxStopStrings = 16;

/** Checks every field (InvalidArgumentError with the house wording) and fills the defaults. */
export function normalizeRequest(
  request: EngineRequest,
  kind: EngineModelKind,
  defaults: { maxTokens: number; timeoutMs: number | undefined },
): NormalizedRequest {
  if (request === null || typeof request !== 'object') invalid('request object', 'request', request);
  const prompt = expectString(request.prompt, 'prompt');
  if (kind === 'sllm' && prompt.trim() === '') throw new InvalidArgumentError('prompt is empty: an SLLM continues from at least one sentence');
  const temperature = expectNumber(request.temperature ?? 1, 'temperature', 0, 100);
  const stop = request.stop ?? [];
  if (!Array.isArray(stop) || stop.length > maxStopStrings) invalid(`array of at most ${maxStopStrings} strings`, 'stop', stop);
  stop.forEach((s, i) => {
    if (typeof s !== 'string' || s.length === 0) invalid('non-empty string', `stop[${i}]`, s);
  });
  const signal = request.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) invalid('AbortSignal', 'signal', signal);
  const timeoutMs = request.timeoutMs ?? defaults.timeoutMs;
  if (timeoutMs !== undefined) expectNumber(timeoutMs, 'timeoutMs', 1, 2 ** 31 - 1);
  let sentenceTokens: readonly number[] | undefined;
  if (request.sentenceTokens !== undefined) {
    if (!Array.isArray(request.sentenceTokens) || request.sentenceTokens.length === 0) invalid('non-empty array of integers', 'sentenceTokens', request.sentenceTokens);
    request.sentenceTokens.forEach((n, i) => expectInteger(n, `sentenceTokens[${i}]`, 1));
    sentenceTokens = [...request.sentenceTokens];
  }
  const kindOnly = (name: 'minNewTokens' | 'minSentenceTokens' | 'noRepeatSentences', of: EngineModelKind) => {
    if (request[name] !== undefined && kind !== of) throw new InvalidArgumentError(`${name} applies to ${of === 'opt' ? 'OPT' : 'SLLM'} engines only; this engine serves ${kind === 'opt' ? 'an OPT' : 'an SLLM'}`);
  };
  kindOnly('minNewTokens', 'opt');
  kindOnly('minSentenceTokens', 'sllm');
  kindOnly('noRepeatSentences', 'sllm');
  const controls = nativeControls(request, {
    minTokens: kind === 'opt' ? expectInteger(request.minNewTokens ?? 0, 'minNewTokens', 0, 1 << 20) : expectInteger(request.minSentenceTokens ?? 0, 'minSentenceTokens', 0, 1 << 20),
    noRepeatSentences: expectBoolean(request.noRepeatSentences ?? false, 'noRepeatSentences'),
  });
  return {
    prompt,
    maxTokens: expectInteger(request.maxTokens ?? defaults.maxTokens, 'maxTokens', 1, Number.MAX_SAFE_INTEGER),
    maxSentences: expectInteger(request.maxSentences ?? 16, 'maxSentences', 1, Number.MAX_SAFE_INTEGER),
    greedy: temperature === 0,
    temperature: temperature === 0 ? 1 : temperature,
    topP: request.topP === undefined ? 1 : expectNumber(request.topP, 'topP', Number.MIN_VALUE, 1),
    topK: expectInteger(request.topK ?? 0, 'topK', 0, 2 ** 30),
    seed: request.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : expectInteger(request.seed, 'seed', 0, Number.MAX_SAFE_INTEGER),
    stop: [...stop],
    signal,
    timeoutMs,
    ignoreStop: expectBoolean(request.ignoreStop ?? false, 'ignoreStop'),
    sentenceTokens,
    controls,
  };
}

/** The error a prompt that does not fit gets (code ERR_SVAE_PROMPT_TOO_LONG). */
export function promptTooLong(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message, 'ERR_SVAE_PROMPT_TOO_LONG');
}

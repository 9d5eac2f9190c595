import { expectArray, expectBoolean, expectInteger, expectNumber, invalid } from '../validate.js';

/** How each next token is chosen (SentenceVAE, OPT and SLLM generation share these). */
export interface SamplingOptions {
  /** Sample instead of taking the most likely token. @default false */
  sample?: boolean;
  /** Sampling temperature. @default 1 */
  temperature?: number;
  /** Keep only the k most likely tokens (0: all). @default 0 */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1: all). @default 1 */
  topP?: number;
  /** Seed of the sampling. @default 0 */
  seed?: number;
}

/**
 * Repetition controls of OPT and SLLM generation, with Hugging Face `generate`'s names and
 * semantics (and OpenAI's penalties). They change the logits before temperature / top-k / top-p,
 * over the row's text as tokens: the prompt's, then every generated one (for the SLLM across
 * sentences: the paragraph so far). Every default leaves generation unchanged. See docs/generation.md.
 * @example
 * ```ts
 * await opt.generate('Once upon a time', { repetitionPenalty: 1.2, noRepeatNgramSize: 3, stop: ['\n'] });
 * ```
 */
export interface GenerationControlOptions {
  /**
   * Hugging Face's repetition penalty: each token already in the text has its logit divided by
   * the penalty when positive and multiplied by it when negative (> 1 discourages repeats, 1 is off).
   * @default 1
   */
  repetitionPenalty?: number;
  /** Never produce a token that would repeat an n-gram of this size already in the text (0: off). @default 0 */
  noRepeatNgramSize?: number;
  /**
   * OpenAI's presence penalty: minus this from the logit of every token generated at least once
   * (the prompt's tokens are not counted), in [-2, 2]. @default 0
   */
  presencePenalty?: number;
  /** OpenAI's frequency penalty: minus this times the number of times a token was generated, in [-2, 2]. @default 0 */
  frequencyPenalty?: number;
  /**
   * Stop strings: a row ends as soon as its generated text contains one, and the text is cut
   * before it (the stop string is not part of the output). @default []
   */
  stop?: string | readonly string[];
}

/** The most stop strings one call may carry. */
export const maxStopStrings = 16;

/** Checked sampling options in the native decoders' terms. */
export function nativeSampling(o: SamplingOptions): { greedy: boolean; temperature: number; topK: number; topP: number; seed: number } {
  return {
    greedy: !(o.sample ?? false),
    temperature: expectNumber(o.temperature ?? 1, 'temperature', 1e-6),
    topK: expectInteger(o.topK ?? 0, 'topK', 0),
    topP: expectNumber(o.topP ?? 1, 'topP', 0, 1),
    seed: expectInteger(o.seed ?? 0, 'seed', 0, Number.MAX_SAFE_INTEGER),
  };
}

/** The native decoders' control fields (minTokens: OPT's minNewTokens / the SLLM's minSentenceTokens). */
export interface NativeControls {
  repetitionPenalty: number;
  noRepeatNgramSize: number;
  presencePenalty: number;
  frequencyPenalty: number;
  minTokens: number;
  noRepeatSentences: boolean;
}

/** Checked repetition controls (stop strings excluded: they are text, see stopStrings). */
export function nativeControls(o: GenerationControlOptions, extra: { minTokens?: number; noRepeatSentences?: boolean } = {}): NativeControls {
  return {
    repetitionPenalty: expectNumber(o.repetitionPenalty ?? 1, 'repetitionPenalty', 1e-6, 1e6),
    noRepeatNgramSize: expectInteger(o.noRepeatNgramSize ?? 0, 'noRepeatNgramSize', 0, 1 << 20),
    presencePenalty: expectNumber(o.presencePenalty ?? 0, 'presencePenalty', -2, 2),
    frequencyPenalty: expectNumber(o.frequencyPenalty ?? 0, 'frequencyPenalty', -2, 2),
    minTokens: extra.minTokens ?? 0,
    noRepeatSentences: extra.noRepeatSentences ?? false,
  };
}

/** Checked stop strings: a string or an array of at most maxStopStrings non-empty strings. */
export function stopStrings(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') {
    if (value.length === 0) invalid('non-empty string', 'stop', value);
    return [value];
  }
  if (!Array.isArray(value) || value.length > maxStopStrings) invalid(`a string or an array of at most ${maxStopStrings} strings`, 'stop', value);
  return expectArray(value, 'stop', 'array of non-empty strings', (s, name) => {
    if (typeof s !== 'string' || s.length === 0) invalid('non-empty string', name, s);
    return s;
  });
}

/** Index of the first stop string in `text` at or after `from` (-1: none). */
export function firstStop(text: string, stops: readonly string[], from = 0): number {
  let cut = -1;
  for (const s of stops) {
    const at = text.indexOf(s, from);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

/** Checked boolean option (exported for the SLLM's noRepeatSentences). */
export function expectFlag(value: unknown, name: string, fallback: boolean): boolean {
  return value === undefined ? fallback : expectBoolean(value, name);
}

/**
 * The serving engine's public shapes (the HTTP layer codes against exactly these).
 * The Engine class itself lives in ./Engine.ts. Bad request fields throw InvalidArgumentError
 * (lib/errors/), a full queue QueueFullError, a closed engine EngineClosedError.
 */

/** Which kind of model an Engine drives: an SLLM (one step = one sentence per row) or OPT (one token per row). */
export type EngineModelKind = 'sllm' | 'opt';

/** One generation request. Every field is checked by `Engine.submit()` (InvalidArgumentError). */
export interface EngineRequest {
  /** Raw text to continue; chat templating is the HTTP layer's job. */
  prompt: string;
  /** Cap on completion tokens. @default the engine's defaultMaxTokens (256) */
  maxTokens?: number;
  /** SLLM only: cap on generated sentences (ignored for OPT). @default 16 */
  maxSentences?: number;
  /** Sampling temperature; 0 = greedy (argmax). @default 1 */
  temperature?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches p. @default 1 */
  topP?: number;
  /** Keep only the k most likely tokens (0 = all). @default 0 */
  topK?: number;
  /** Seed of this request's own random stream (its output does not depend on its batch neighbours). @default a random seed */
  seed?: number;
  /** Stop strings: the output is cut before the first match and finishReason is 'stop'. @default [] */
  stop?: readonly string[];
  /** Hugging Face's repetition penalty over the prompt and the completion (1 = off); see docs/generation.md. @default 1 */
  repetitionPenalty?: number;
  /** Never repeat an n-gram of this size (0 = off; Hugging Face's no_repeat_ngram_size). @default 0 */
  noRepeatNgramSize?: number;
  /** OpenAI's presence penalty in [-2, 2] (tokens generated at least once). @default 0 */
  presencePenalty?: number;
  /** OpenAI's frequency penalty in [-2, 2] (times each token was generated). @default 0 */
  frequencyPenalty?: number;
  /** OPT only: eos cannot come before this many completion tokens. @default 0 */
  minNewTokens?: number;
  /** SLLM only: a sentence cannot end before this many tokens. @default 0 */
  minSentenceTokens?: number;
  /** SLLM only: never emit a sentence identical to one already in the prompt or the completion. @default false */
  noRepeatSentences?: boolean;
  /** Aborting it ends the request within one engine step (finishReason 'abort'). */
  signal?: AbortSignal;
  /** Ends the request after this many ms from submit, queue time included (finishReason 'timeout'). @default the engine's defaultTimeoutMs (none) */
  timeoutMs?: number;
  /**
   * Benchmarks: never end on the model's own signal (SLLM stop head, OPT eos); run to maxTokens /
   * maxSentences. @default false
   */
  ignoreStop?: boolean;
  /** Benchmarks, SLLM only: sentence k has exactly sentenceTokens[k % n] tokens (eos ignored). */
  sentenceTokens?: readonly number[];
}

/** One streamed piece of a completion: one sentence (SLLM) or one token (OPT). */
export interface EngineChunk {
  /** The text this chunk adds to the completion (already cut at a stop string). */
  text: string;
  /** Completion tokens this chunk accounts for. */
  tokens: number;
}

/**
 * Why a request ended: 'stop' (the model ended it — SLLM stop head or OPT eos — or a stop string
 * matched), 'length' (maxTokens / maxSentences / the model's context), 'abort' (signal, cancel()
 * or close() cutting it), 'timeout', 'error' (the engine failed; result rejects).
 */
export type FinishReason = 'stop' | 'length' | 'abort' | 'timeout' | 'error';

/** The whole completion and its timings. */
export interface EngineResult {
  /** The completion (all chunks' text joined). */
  text: string;
  finishReason: FinishReason;
  /** Tokens of the prompt (the model's bos not counted). */
  promptTokens: number;
  /** Completion tokens the model generated (eos not counted; tokens cut by a stop string counted). */
  completionTokens: number;
  /** From submit to admission into a slot. */
  queuedMs: number;
  /** From submit to the first chunk (null: no chunk). */
  firstChunkMs: number | null;
  /** From submit to the end. */
  totalMs: number;
}

/**
 * A submitted request: iterate it for chunks (each reader gets every chunk from the first; leaving
 * a for-await loop early cancels the request), await `result` for the whole.
 */
export interface EngineHandle extends AsyncIterable<EngineChunk> {
  readonly id: string;
  /**
   * Resolves also on abort/timeout (finishReason says so); rejects only on engine errors
   * (finishReason 'error' is then never seen) and on a prompt too long (InvalidArgumentError,
   * code 'ERR_SVAE_PROMPT_TOO_LONG'). Iterating the handle throws the same error.
   */
  readonly result: Promise<EngineResult>;
  /** Ends the request (finishReason 'abort'); a no-op once it ended. */
  cancel(): void;
}

/** Emitted as 'step' after every engine step. */
export interface StepInfo {
  /** Rows that took part in this step. */
  busySlots: number;
  /** Requests waiting for a slot after the step. */
  queued: number;
  /** Wall time of the step (admission prefill included). */
  stepMs: number;
  /** Completion tokens produced by this step, all rows together. */
  newTokens: number;
}

/** A snapshot of the engine's state and counters. */
export interface EngineStats {
  kind: EngineModelKind;
  slots: number;
  busySlots: number;
  queued: number;
  maxQueue: number;
  steps: number;
  /** Requests submitted (accepted into the queue) since creation. */
  requestsTotal: number;
  completionTokensTotal: number;
  closed: boolean;
}

/** How an Engine is sized. */
export interface EngineOptions {
  /** Rows generated together (the session's batch size). @default 16 */
  slots?: number;
  /** Requests waiting for a slot before submit() throws QueueFullError. @default 256 */
  maxQueue?: number;
  /**
   * Longest prompt accepted, in tokens. Tokenizing is async, so submit() cannot check it: a longer
   * prompt makes the handle's `result` reject with an InvalidArgumentError whose code is
   * 'ERR_SVAE_PROMPT_TOO_LONG' (call `countTokens()` first to answer early). Prompts that do not
   * fit the model's context (OPT: maxPositions tokens; SLLM: maxPositions sentences) are rejected the same way.
   * @default the model's context
   */
  maxPromptTokens?: number;
  /** maxTokens of requests that do not set it. @default 256 */
  defaultMaxTokens?: number;
  /** timeoutMs of requests that do not set it. @default none */
  defaultTimeoutMs?: number;
  /** The name the engine reports (e.g. the model folder's name, for /v1/models). @default the kind ('sllm' / 'opt') */
  modelName?: string;
}

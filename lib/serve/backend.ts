import type { EngineModelKind } from './types.js';
import type { NormalizedRequest } from './request.js';
import type { Tokenizer } from '../text/Tokenizer.js';

/** A request's prompt, tokenized and checked against the model's context. */
export interface PreparedPrompt {
  promptTokens: number;
  /** OPT: most completion tokens that fit; SLLM: most sentences that fit. */
  limit: number;
}

/** What one step produced for one row: its new token ids, or null when the model ended the row (eos / stop head). */
export interface RowUpdate {
  id: number;
  ids: Int32Array | null;
}

/** One model kind's slot session (native/model/slots.h) in the Engine's terms. */
export interface Backend<P extends PreparedPrompt = PreparedPrompt> {
  readonly kind: EngineModelKind;
  readonly tokenizer: Tokenizer;
  /** Default maxPromptTokens: the model's context. */
  readonly contextTokens: number;
  prepare(request: NormalizedRequest, maxPromptTokens: number): Promise<P>;
  /** Tokens of a prompt as prepare() counts them (bos not counted). */
  countTokens(text: string): Promise<number>;
  /** Removes rows, adds rows (their prefill), one step of every row; one async native call. */
  step(remove: readonly number[], add: readonly { id: number; request: NormalizedRequest; prepared: P }[]): Promise<{ updates: RowUpdate[]; nativeMs: number }>;
  /** A fresh native session (after a failed step left the old one in an unknown state). */
  reopen(): void;
  dispose(): void;
}

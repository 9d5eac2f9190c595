import { callAsync, callSync } from '../native/call.js';
import type { NativeSllmSlotAdd, NativeSllmSlots } from '../native/contract.js';
import type { SLLM } from '../models/SLLM.js';
import type { Tokenizer } from '../text/Tokenizer.js';
import type { Backend, PreparedPrompt, RowUpdate } from './backend.js';
import { type NormalizedRequest, promptTooLong } from './request.js';

interface SllmPrompt extends PreparedPrompt {
  ids: Int32Array;
  shape: [number, number];
  lengths: Int32Array;
}

/** SLLM rows: one sentence per step; the stop head ends a row (unless ignoreStop). */
export class SllmBackend implements Backend<SllmPrompt> {
  readonly kind = 'sllm' as const;
  readonly tokenizer: Tokenizer;
  readonly contextTokens = Number.MAX_SAFE_INTEGER;  // an SLLM's context is counted in sentences
  readonly #model: SLLM;
  readonly #slots: number;
  #session: NativeSllmSlots;

  constructor(model: SLLM, slots: number) {
    this.#model = model;
    this.#slots = slots;
    this.tokenizer = model.tokenizer;
    this.#session = model.openSlots(slots);
  }

  async prepare(request: NormalizedRequest, maxPromptTokens: number): Promise<SllmPrompt> {
    const pieces = await this.#model.pieces(request.prompt);
    const promptTokens = pieces.reduce((n, p) => n + p.length - 1, 0);
    const positions = this.#model.config.llm.maxPositions;
    if (pieces.length === 0) throw promptTooLong('the prompt has no sentence');
    if (promptTokens > maxPromptTokens) throw promptTooLong(`the prompt has ${promptTokens} tokens; this engine accepts at most ${maxPromptTokens}`);
    if (pieces.length >= positions) {
      throw promptTooLong(`the prompt has ${pieces.length} sentences; this SLLM reads at most ${positions - 1} before generating`);
    }
    const length = Math.max(...pieces.map((p) => p.length));
    const ids = new Int32Array(pieces.length * length).fill(this.#model.config.svae.padId);
    pieces.forEach((p, i) => ids.set(p, i * length));
    const lengths = Int32Array.from(pieces, (p) => p.length);
    return { ids, shape: [pieces.length, length], lengths, promptTokens, limit: Math.min(request.maxSentences, positions - pieces.length) };
  }

  async countTokens(text: string): Promise<number> {
    return (await this.#model.pieces(text)).reduce((n, p) => n + p.length - 1, 0);
  }

  async step(remove: readonly number[], add: readonly { id: number; request: NormalizedRequest; prepared: SllmPrompt }[]): Promise<{ updates: RowUpdate[]; nativeMs: number }> {
    const rows: NativeSllmSlotAdd[] = add.map(({ id, request: r, prepared: p }) => ({
      id, ids: p.ids, shape: p.shape, lengths: p.lengths, maxSentences: p.limit, ignoreStop: r.ignoreStop,
      // A sentence never needs more tokens than the whole request may have (the batch's sentence step lasts as long as its longest sentence).
      maxSentenceTokens: Math.min(this.#model.config.svae.maxTokens - 1, r.maxTokens),
      ...(r.sentenceTokens ? { sentenceTokens: r.sentenceTokens.map((n) => Math.min(n, this.#model.config.svae.maxTokens - 1)) } : {}),
      greedy: r.greedy, temperature: r.temperature, topK: r.topK, topP: r.topP, seed: r.seed, ...r.controls,
    }));
    const session = this.#session;
    const out = await callAsync(() => session.step(remove.length > 0 ? Int32Array.from(remove) : undefined, rows));
    const updates: RowUpdate[] = [];
    for (let i = 0; i < out.ids.length; i++) {
      updates.push({ id: out.ids[i]!, ids: out.stopped[i] ? null : out.tokens.slice(i * out.steps, i * out.steps + out.lengths[i]!) });
    }
    return { updates, nativeMs: out.nativeMs };
  }

  reopen(): void {
    this.#session.dispose();
    this.#session = this.#model.openSlots(this.#slots);
  }

  dispose(): void {
    callSync(() => this.#session.dispose());
  }
}

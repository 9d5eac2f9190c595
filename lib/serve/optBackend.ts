import { callAsync, callSync } from '../native/call.js';
import type { NativeOptSlotAdd, NativeOptSlots } from '../native/contract.js';
import type { OPT } from '../models/OPT.js';
import type { Tokenizer } from '../text/Tokenizer.js';
import type { Backend, PreparedPrompt, RowUpdate } from './backend.js';
import { type NormalizedRequest, promptTooLong } from './request.js';

interface OptPrompt extends PreparedPrompt {
  ids: Int32Array;
}

/** OPT rows: one token per step; eos ends a row (unless ignoreStop). */
export class OptBackend implements Backend<OptPrompt> {
  readonly kind = 'opt' as const;
  readonly tokenizer: Tokenizer;
  readonly contextTokens: number;
  readonly #model: OPT;
  readonly #slots: number;
  #session: NativeOptSlots;
  readonly #ignoreStop = new Map<number, boolean>();

  constructor(model: OPT, slots: number) {
    this.#model = model;
    this.#slots = slots;
    this.tokenizer = model.tokenizer;
    // bos + at least one generated token must fit the learned positions.
    this.contextTokens = model.config.maxPositions - 2;
    this.#session = model.openSlots(slots);
  }

  async prepare(request: NormalizedRequest, maxPromptTokens: number): Promise<OptPrompt> {
    const ids = await this.tokenizer.encode(request.prompt);
    const promptTokens = ids.length - 1;
    const room = this.#model.config.maxPositions - ids.length;
    if (promptTokens > maxPromptTokens || room < 1) {
      throw promptTooLong(`the prompt has ${promptTokens} tokens; this engine accepts at most ${Math.min(maxPromptTokens, this.contextTokens)}`);
    }
    return { ids, promptTokens, limit: Math.min(request.maxTokens, room) };
  }

  async countTokens(text: string): Promise<number> {
    return (await this.tokenizer.encode(text, { addBos: false })).length;
  }

  async step(remove: readonly number[], add: readonly { id: number; request: NormalizedRequest; prepared: OptPrompt }[]): Promise<{ updates: RowUpdate[]; nativeMs: number }> {
    const rows: NativeOptSlotAdd[] = add.map(({ id, request: r, prepared }) => {
      this.#ignoreStop.set(id, r.ignoreStop);
      return { id, ids: prepared.ids, maxNewTokens: prepared.limit, greedy: r.greedy, temperature: r.temperature, topK: r.topK, topP: r.topP, seed: r.seed, ...r.controls };
    });
    for (const id of remove) this.#ignoreStop.delete(id);
    const session = this.#session;
    const out = await callAsync(() => session.step(remove.length > 0 ? Int32Array.from(remove) : undefined, rows));
    const eos = this.#model.config.eosId;
    const updates: RowUpdate[] = [];
    for (let i = 0; i < out.ids.length; i++) {
      const id = out.ids[i]!;
      const token = out.tokens[i]!;
      updates.push({ id, ids: token === eos && !this.#ignoreStop.get(id) ? null : Int32Array.of(token) });
    }
    return { updates, nativeMs: out.nativeMs };
  }

  reopen(): void {
    this.#session.dispose();
    this.#ignoreStop.clear();
    this.#session = this.#model.openSlots(this.#slots);
  }

  dispose(): void {
    callSync(() => this.#session.dispose());
  }
}

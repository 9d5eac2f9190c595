import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';

import { EngineClosedError } from '../errors/EngineClosedError.js';
import { QueueFullError } from '../errors/QueueFullError.js';
import { OPT } from '../models/OPT.js';
import { SLLM } from '../models/SLLM.js';
import { expectInteger, expectNumber, expectString, invalid } from '../validate.js';
import type { Backend, PreparedPrompt, RowUpdate } from './backend.js';
import { RequestHandle } from './handle.js';
import { OptBackend } from './optBackend.js';
import { type NormalizedRequest, normalizeRequest } from './request.js';
import { SllmBackend } from './sllmBackend.js';
import { StopText } from './stopText.js';
import type { EngineHandle, EngineModelKind, EngineOptions, EngineRequest, EngineStats, FinishReason, StepInfo } from './types.js';

/** One request from submit() to its end. */
interface Entry {
  num: number;
  handle: RequestHandle;
  request: NormalizedRequest;
  state: 'queued' | 'running' | 'done';
  submittedAt: number;
  admittedAt?: number;
  firstChunkAt?: number;
  prepared: Promise<PreparedPrompt>;
  prompt?: PreparedPrompt;
  /** Completion tokens generated (eos not counted). */
  tokens: number;
  /** Tokens whose text has not been streamed yet (held back at a possible stop string / partial character). */
  pendingTokens: number;
  sentences: number;
  /** OPT: every generated id (the text is decoded from all of them: byte-level pieces join). */
  ids: number[];
  decodedLength: number;
  text: StopText;
  timer?: ReturnType<typeof setTimeout>;
  onAbort?: () => void;
}

/** A row's new ids and why it ends after them (null: it goes on). */
interface Produced {
  entry: Entry;
  ids: ArrayLike<number>;
  count: number;
  reason: FinishReason | null;
}

/**
 * Continuous batching over one SLLM or OPT: a fixed number of slots (rows of one native
 * session), a bounded queue, one step loop. Every step removes the rows that ended, admits
 * waiting requests into free slots (each with its own prefill), and advances every busy row by
 * one sentence (SLLM) or one token (OPT) — all rows in one native call off the event loop.
 * Emits 'step' (StepInfo) after every step.
 *
 * @example
 * ```ts
 * const sllm = await SLLM.load('./my-sllm');
 * await using engine = await Engine.create(sllm, { slots: 16 });
 * const handle = engine.submit({ prompt: 'The jury met at noon.', temperature: 0, maxSentences: 4 });
 * for await (const chunk of handle) process.stdout.write(chunk.text);
 * console.log((await handle.result).finishReason);
 * ```
 */
export class Engine extends EventEmitter {
  readonly kind: EngineModelKind;
  readonly modelName: string;
  readonly #backend: Backend;
  readonly #slots: number;
  readonly #maxQueue: number;
  readonly #maxPromptTokens: number;
  readonly #defaultMaxTokens: number;
  readonly #defaultTimeoutMs: number | undefined;
  readonly #queue: Entry[] = [];
  readonly #running = new Map<number, Entry>();
  #removals: number[] = [];
  #counter = 0;
  #steps = 0;
  #requestsTotal = 0;
  #completionTokensTotal = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;

  private constructor(backend: Backend, options: EngineOptions) {
    super();
    this.#backend = backend;
    this.kind = backend.kind;
    this.modelName = options.modelName ?? backend.kind;
    this.#slots = options.slots ?? 16;
    this.#maxQueue = options.maxQueue ?? 256;
    this.#maxPromptTokens = options.maxPromptTokens ?? backend.contextTokens;
    this.#defaultMaxTokens = options.defaultMaxTokens ?? 256;
    this.#defaultTimeoutMs = options.defaultTimeoutMs;
    this.#loop = this.#run().catch((error: unknown) => this.#failEverything(error));
  }

  /**
   * An engine over a loaded model (the caller keeps owning the model; close() the engine before
   * disposing it).
   * @example
   * ```ts
   * const engine = await Engine.create(await OPT.load('./opt-125m'), { slots: 8, maxQueue: 64 });
   * ```
   */
  static async create(model: SLLM | OPT, options: EngineOptions = {}): Promise<Engine> {
    if (!(model instanceof SLLM) && !(model instanceof OPT)) invalid('an SLLM or OPT', 'model', model);
    if (options === null || typeof options !== 'object') invalid('options object', 'options', options);
    const slots = expectInteger(options.slots ?? 16, 'slots', 1, 4096);
    expectInteger(options.maxQueue ?? 256, 'maxQueue', 0, 2 ** 31);
    if (options.maxPromptTokens !== undefined) expectInteger(options.maxPromptTokens, 'maxPromptTokens', 1);
    expectInteger(options.defaultMaxTokens ?? 256, 'defaultMaxTokens', 1);
    if (options.defaultTimeoutMs !== undefined) expectNumber(options.defaultTimeoutMs, 'defaultTimeoutMs', 1, 2 ** 31 - 1);
    if (options.modelName !== undefined) expectString(options.modelName, 'modelName');
    const backend = model instanceof SLLM ? new SllmBackend(model, slots) : new OptBackend(model, slots);
    return new Engine(backend, { ...options, slots });
  }

  /**
   * Queues a request; it is admitted into a free slot at the next step. Throws InvalidArgumentError
   * (bad fields), QueueFullError (maxQueue requests already wait beyond the free slots) and
   * EngineClosedError (after close()).
   * @example
   * ```ts
   * const controller = new AbortController();
   * const handle = engine.submit({ prompt: 'Hello there.', temperature: 0.7, seed: 1, stop: ['\n'], signal: controller.signal, timeoutMs: 30_000 });
   * const { text, finishReason } = await handle.result;
   * ```
   */
  submit(request: EngineRequest): EngineHandle {
    if (this.#closed) throw new EngineClosedError('The engine is closed: it admits no new requests');
    const r = normalizeRequest(request, this.kind, { maxTokens: this.#defaultMaxTokens, timeoutMs: this.#defaultTimeoutMs });
    const free = Math.max(0, this.#slots - this.#running.size);
    if (this.#queue.length >= this.#maxQueue + free) {
      throw new QueueFullError(`The engine's queue is full: ${this.#maxQueue} requests already wait for one of ${this.#slots} slots`, this.#maxQueue);
    }
    const num = ++this.#counter;
    const entry: Entry = {
      num, request: r, state: 'queued', submittedAt: performance.now(), tokens: 0, pendingTokens: 0, sentences: 0, ids: [], decodedLength: 0,
      text: new StopText(r.stop), handle: new RequestHandle(`req-${num}`, () => this.#finish(entry, 'abort')),
      prepared: undefined as unknown as Promise<PreparedPrompt>,
    };
    entry.prepared = this.#backend.prepare(r, this.#maxPromptTokens).then((p) => (entry.prompt = p));
    entry.prepared.catch((error: unknown) => this.#fail(entry, error));
    this.#requestsTotal++;
    this.#queue.push(entry);
    if (r.signal) {
      if (r.signal.aborted) {
        this.#finish(entry, 'abort');
        return entry.handle;
      }
      entry.onAbort = () => this.#finish(entry, 'abort');
      r.signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    if (r.timeoutMs !== undefined) entry.timer = setTimeout(() => this.#finish(entry, 'timeout'), r.timeoutMs);
    this.#wake?.();
    return entry.handle;
  }

  /**
   * Prompt tokens of `text` as a request would count them (bos not counted).
   * @example
   * ```ts
   * if ((await engine.countTokens(prompt)) > 1000) throw new Error('prompt too long');
   * ```
   */
  countTokens(text: string): Promise<number> {
    expectString(text, 'text');
    return this.#backend.countTokens(text);
  }

  /** Counters and the current occupancy (cheap; no native call). */
  stats(): EngineStats {
    return {
      kind: this.kind, slots: this.#slots, busySlots: this.#running.size, queued: this.#queue.length, maxQueue: this.#maxQueue,
      steps: this.#steps, requestsTotal: this.#requestsTotal, completionTokensTotal: this.#completionTokensTotal, closed: this.#closed,
    };
  }

  /**
   * Stops admitting (submit throws EngineClosedError), lets the requests already accepted —
   * running and queued — finish for up to graceMs, then cuts the rest (finishReason 'abort') and
   * frees the native session. `graceMs: Infinity` waits for every accepted request. Safe to call
   * twice (the same Promise).
   * @default graceMs 10000
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    const graceMs = options.graceMs ?? 10_000;
    if (graceMs !== Number.POSITIVE_INFINITY) expectNumber(graceMs, 'graceMs', 0);
    this.#closed = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (graceMs === 0) this.#cutAll();
    else if (Number.isFinite(graceMs)) timer = setTimeout(() => this.#cutAll(), Math.min(graceMs, 2 ** 31 - 1));
    this.#wake?.();
    this.#closing = this.#loop.finally(() => clearTimeout(timer));
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- the step loop

  async #run(): Promise<void> {
    for (;;) {
      if (this.#running.size === 0 && this.#queue.length === 0) {
        if (this.#removals.length > 0) {
          await this.#step([]);  // frees the ended rows' caches now, not at the next request
          continue;
        }
        if (this.#closed) break;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      const admitted = await this.#admit();
      if (this.#running.size === 0 && this.#removals.length === 0) continue;
      await this.#step(admitted);
    }
    this.#backend.dispose();
  }

  /** Moves queue heads into free slots (their prompts tokenized first). */
  async #admit(): Promise<Entry[]> {
    const free = this.#slots - this.#running.size;
    if (free <= 0 || this.#queue.length === 0) return [];
    const heads = this.#queue.slice(0, free);
    await Promise.allSettled(heads.map((e) => e.prepared));
    const admitted: Entry[] = [];
    for (const e of heads) {
      if (e.state !== 'queued' || !e.prompt || this.#running.size >= this.#slots) continue;
      this.#queue.splice(this.#queue.indexOf(e), 1);
      e.state = 'running';
      e.admittedAt = performance.now();
      this.#running.set(e.num, e);
      admitted.push(e);
    }
    return admitted;
  }

  async #step(admitted: Entry[]): Promise<void> {
    const started = performance.now();
    const remove = this.#removals;
    this.#removals = [];
    // Rows cut while their prompts were being tokenized never reach the native session.
    const add = admitted.filter((e) => e.state === 'running').map((e) => ({ id: e.num, request: e.request, prepared: e.prompt! }));
    let updates: RowUpdate[];
    try {
      ({ updates } = await this.#backend.step(remove, add));
    } catch (error) {
      // The session's state is unknown now: every row in it fails, a fresh session takes the queue.
      for (const e of [...this.#running.values()]) this.#fail(e, error);
      this.#removals = [];
      try {
        this.#backend.reopen();
      } catch (reopenError) {
        this.#failEverything(reopenError);
      }
      return;
    }
    const newTokens = await this.#apply(updates);
    this.#steps++;
    this.#completionTokensTotal += newTokens;
    const info: StepInfo = { busySlots: updates.length, queued: this.#queue.length, stepMs: performance.now() - started, newTokens };
    try {
      this.emit('step', info);
    } catch (error) {
      process.emitWarning(`A 'step' listener of the Engine threw: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /** Turns one step's new ids into text, chunks and finished requests; returns the tokens produced. */
  async #apply(updates: readonly RowUpdate[]): Promise<number> {
    const produced: Produced[] = [];
    let newTokens = 0;
    for (const u of updates) {
      const entry = this.#running.get(u.id);
      if (!entry) continue;  // ended while the step ran
      if (u.ids === null) {
        this.#finish(entry, 'stop');
        continue;
      }
      const prompt = entry.prompt!;
      const cap = this.kind === 'opt' ? prompt.limit : entry.request.maxTokens;
      const ids = u.ids.subarray(0, Math.max(0, cap - entry.tokens));
      entry.tokens += ids.length;
      newTokens += ids.length;
      let reason: FinishReason | null = entry.tokens >= cap ? 'length' : null;
      if (this.kind === 'sllm') {
        entry.sentences++;
        if (entry.sentences >= prompt.limit) reason = 'length';
      } else {
        for (const id of ids) entry.ids.push(id);
      }
      produced.push({ entry, ids: this.kind === 'opt' ? entry.ids : ids, count: ids.length, reason });
    }
    const texts = produced.length > 0 ? await this.#backend.tokenizer.decodeBatch(produced.map((p) => p.ids)) : [];
    produced.forEach((p, i) => this.#emit(p, texts[i]!));
    return newTokens;
  }

  #emit({ entry, count, reason }: Produced, decoded: string): void {
    if (entry.state !== 'running') return;
    let piece = decoded;
    if (this.kind === 'opt') {
      // The whole completion is decoded each step; hold back a trailing partial UTF-8 character.
      if (decoded.endsWith('\uFFFD') && reason === null) piece = '';
      else {
        piece = decoded.slice(entry.decodedLength);
        entry.decodedLength = decoded.length;
      }
    }
    entry.pendingTokens += count;
    const { emit, stopped } = entry.text.push(piece);
    if (emit !== '') this.#chunk(entry, emit);
    if (stopped) this.#finish(entry, 'stop');
    else if (reason) this.#finish(entry, reason);
  }

  #chunk(entry: Entry, text: string): void {
    entry.firstChunkAt ??= performance.now();
    entry.handle.push({ text, tokens: entry.pendingTokens });
    entry.pendingTokens = 0;
  }

  // ---------------------------------------------------------------- ending requests

  /** Takes a request out of the queue or its slot (its native row goes at the next step). */
  #release(entry: Entry): boolean {
    if (entry.state === 'done') return false;
    if (entry.state === 'running') {
      this.#running.delete(entry.num);
      this.#removals.push(entry.num);
    } else {
      const at = this.#queue.indexOf(entry);
      if (at >= 0) this.#queue.splice(at, 1);
    }
    entry.state = 'done';
    clearTimeout(entry.timer);
    if (entry.onAbort) entry.request.signal?.removeEventListener('abort', entry.onAbort);
    this.#wake?.();
    return true;
  }

  #finish(entry: Entry, finishReason: FinishReason): void {
    if (!this.#release(entry)) return;
    const rest = entry.text.flush();
    if (rest !== '') this.#chunk(entry, rest);
    const now = performance.now();
    entry.handle.end({
      text: entry.text.text,
      finishReason,
      promptTokens: entry.prompt?.promptTokens ?? 0,
      completionTokens: entry.tokens,
      queuedMs: (entry.admittedAt ?? now) - entry.submittedAt,
      firstChunkMs: entry.firstChunkAt === undefined ? null : entry.firstChunkAt - entry.submittedAt,
      totalMs: now - entry.submittedAt,
    });
  }

  #fail(entry: Entry, error: unknown): void {
    if (this.#release(entry)) entry.handle.fail(error);
  }

  #cutAll(): void {
    for (const e of [...this.#queue, ...this.#running.values()]) this.#finish(e, 'abort');
  }

  /** The engine cannot go on (its session cannot be reopened, or a bug): everything fails, nothing is admitted. */
  #failEverything(error: unknown): void {
    this.#closed = true;
    for (const e of [...this.#queue, ...this.#running.values()]) this.#fail(e, error);
    this.#removals = [];
  }
}

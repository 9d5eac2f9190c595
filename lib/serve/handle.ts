import type { EngineChunk, EngineHandle, EngineResult } from './types.js';

/**
 * The caller's side of one request: chunks as they come (any number of readers, each from the
 * first chunk), the final result, cancel(). The engine feeds it through push / end / fail.
 */
export class RequestHandle implements EngineHandle {
  readonly id: string;
  readonly result: Promise<EngineResult>;
  readonly #chunks: EngineChunk[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  #error: unknown;
  #resolve!: (r: EngineResult) => void;
  #reject!: (e: unknown) => void;
  readonly #onCancel: () => void;

  constructor(id: string, onCancel: () => void) {
    this.id = id;
    this.#onCancel = onCancel;
    this.result = new Promise<EngineResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Rejections reach whoever awaits `result`; one nobody awaits must not crash the process.
    this.result.catch(() => undefined);
  }

  /** True once the request ended (result settled). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Ends the request (finishReason 'abort'); a no-op once it ended. */
  cancel(): void {
    if (!this.#ended) this.#onCancel();
  }

  push(chunk: EngineChunk): void {
    if (this.#ended) return;
    this.#chunks.push(chunk);
    this.#wake();
  }

  end(result: EngineResult): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#resolve(result);
    this.#wake();
  }

  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error ?? new Error('engine error');
    this.#reject(this.#error);
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Chunks from the first one; ends with the request, throws its error. Breaking out of the loop cancels the request. */
  [Symbol.asyncIterator](): AsyncIterator<EngineChunk> {
    let next = 0;
    return {
      next: async (): Promise<IteratorResult<EngineChunk>> => {
        for (;;) {
          if (next < this.#chunks.length) return { value: this.#chunks[next++]!, done: false };
          if (this.#error !== undefined) throw this.#error;
          if (this.#ended) return { value: undefined, done: true };
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      },
      return: async (): Promise<IteratorResult<EngineChunk>> => {
        this.cancel();
        next = Number.POSITIVE_INFINITY;
        return { value: undefined, done: true };
      },
    };
  }
}

import type { ServerResponse } from 'node:http';

/**
 * Server-sent events over a raw Node response, OpenAI's way: `data: <json>\n\n` per chunk and
 * `data: [DONE]\n\n` at the end. Writes wait for 'drain' when the socket's buffer is full, so a
 * slow reader holds back only its own request.
 */
export class SseStream {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  /** Whether the client is gone (nothing more can be written). */
  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /** Sends the status line and headers (no buffering by proxies: X-Accel-Buffering). */
  open(): void {
    this.#res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // Headers leave now, not with the first chunk.
    this.#res.flushHeaders();
  }

  async send(data: unknown): Promise<void> {
    await this.#write(`data: ${JSON.stringify(data)}\n\n`);
  }

  async done(): Promise<void> {
    await this.#write('data: [DONE]\n\n');
    if (!this.closed) this.#res.end();
  }

  async #write(text: string): Promise<void> {
    if (this.closed) return;
    if (this.#res.write(text)) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        this.#res.off('drain', settle);
        this.#res.off('close', settle);
        resolve();
      };
      this.#res.on('drain', settle);
      this.#res.on('close', settle);
    });
  }
}

/**
 * A completion's text as it grows, cut before the first stop string. Text that could still turn
 * into a stop string (a suffix that is a prefix of one) is held back from streaming until the
 * next piece settles it, so a streamed chunk never has to be taken back.
 */
export class StopText {
  readonly #stops: readonly string[];
  readonly #longest: number;
  #text = '';
  #emitted = 0;
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = stops;
    this.#longest = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /** The text kept so far (cut at the stop string once one matched). */
  get text(): string {
    return this.#text;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds `piece`; returns the text that can be streamed now and whether a stop string matched. */
  push(piece: string): { emit: string; stopped: boolean } {
    if (this.#stopped) return { emit: '', stopped: true };
    // A match that ends in the new piece starts at most longest - 1 characters before it.
    const from = Math.max(0, this.#text.length - this.#longest + 1);
    this.#text += piece;
    let cut = -1;
    for (const stop of this.#stops) {
      const at = this.#text.indexOf(stop, from);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.#text = this.#text.slice(0, cut);
      this.#stopped = true;
      return { emit: this.#take(cut), stopped: true };
    }
    return { emit: this.#take(this.#text.length - this.#held()), stopped: false };
  }

  /** Everything not streamed yet (at the end of the request). */
  flush(): string {
    return this.#take(this.#text.length);
  }

  /** Length of the longest suffix of the text that is a proper prefix of a stop string. */
  #held(): number {
    let held = 0;
    for (const stop of this.#stops) {
      for (let k = Math.min(stop.length - 1, this.#text.length); k > held; k--) {
        if (this.#text.endsWith(stop.slice(0, k))) {
          held = k;
          break;
        }
      }
    }
    return held;
  }

  #take(end: number): string {
    if (end <= this.#emitted) return '';
    const out = this.#text.slice(this.#emitted, end);
    this.#emitted = end;
    return out;
  }
}

/**
 * Many short id sequences in one Int32Array (4 bytes a token, no per-sentence objects), so a
 * dataset of millions of sentences stays compact and cheap for the GC.
 */
export class PackedSequences {
  #data: Int32Array;
  #offsets: Int32Array; // offsets[i]..offsets[i+1] is sequence i
  #size = 0;
  #used = 0;

  constructor(capacityTokens = 1 << 16, capacitySequences = 1 << 12) {
    this.#data = new Int32Array(capacityTokens);
    this.#offsets = new Int32Array(capacitySequences + 1);
  }

  get size(): number {
    return this.#size;
  }

  get tokens(): number {
    return this.#used;
  }

  push(ids: ArrayLike<number>): void {
    if (this.#used + ids.length > this.#data.length) {
      const grown = new Int32Array(Math.max(this.#data.length * 2, this.#used + ids.length));
      grown.set(this.#data.subarray(0, this.#used));
      this.#data = grown;
    }
    if (this.#size + 2 > this.#offsets.length) {
      const grown = new Int32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    this.#data.set(ids, this.#used);
    this.#used += ids.length;
    this.#size++;
    this.#offsets[this.#size] = this.#used;
  }

  /** Sequence i (a view, not a copy). */
  get(i: number): Int32Array {
    return this.#data.subarray(this.#offsets[i]!, this.#offsets[i + 1]!);
  }

  length(i: number): number {
    return this.#offsets[i + 1]! - this.#offsets[i]!;
  }

  lengths(): Int32Array {
    const out = new Int32Array(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = this.length(i);
    return out;
  }
}

import { readBrown, segment, type Tokenizer } from '../../lib/index.js';

/** The first `count` Brown segments of at most `maxTokens` tokens (bos included), in corpus order. */
export async function brownSentences(tokenizer: Tokenizer, count: number, maxTokens: number): Promise<string[]> {
  const out: string[] = [];
  for await (const p of readBrown()) {
    const segs = segment(p.text);
    const ids = await tokenizer.encodeBatch(segs);
    segs.forEach((s, i) => {
      if (out.length < count && ids[i]!.length <= maxTokens) out.push(s);
    });
    if (out.length >= count) return out;
  }
  return out;
}

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
};

import { readBrown, segment, type Tokenizer } from '../lib/index.js';

/** Brown segments of at most `maxTokens` tokens (bos included), the first `count`, in order. */
export async function brownSegments(tokenizer: Tokenizer, count: number, maxTokens: number): Promise<string[]> {
  const out: string[] = [];
  for await (const p of readBrown()) {
    const segs = segment(p.text);
    const ids = await tokenizer.encodeBatch(segs);
    segs.forEach((s, i) => {
      if (out.length < count && ids[i]!.length <= maxTokens) out.push(s);
    });
    if (out.length >= count) break;
  }
  return out;
}

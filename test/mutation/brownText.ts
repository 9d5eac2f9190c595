/** The first `count` paragraphs of the Brown corpus (file ca01 on), as plain text: real, small, fast to read. */
import { readBrown } from '../../lib/data/brown.js';

export async function firstBrown(count: number): Promise<string[]> {
  const out: string[] = [];
  for await (const p of readBrown()) {
    if (out.length >= count) break;
    out.push(p.text);
  }
  return out;
}

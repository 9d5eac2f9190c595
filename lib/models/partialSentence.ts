import { segment, type SegmentOptions } from '../text/segment.js';

/**
 * True when `text` ends mid-sentence, as the segmenter sees it: its last segment does not end at
 * a cut mark (with the closing quotes/brackets after it, and any trailing whitespace) or at a
 * line break. Decided by segment() itself — appending a word starts a new segment exactly when
 * the text ended at a cut — so it follows every segmentation rule (numbers like 3.14, custom
 * cut marks) without restating them.
 * @example
 * ```ts
 * endsMidSentence('The jury said it was fine. It'); // true
 * endsMidSentence('The jury said it was fine.');    // false
 * endsMidSentence('A list:\n');                      // false
 * ```
 */
export function endsMidSentence(text: string, options: SegmentOptions = {}): boolean {
  if (typeof text !== 'string' || text.trim() === '') return false;
  return segment(`${text} x`, options).length === segment(text, options).length;
}

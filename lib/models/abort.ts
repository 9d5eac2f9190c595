import { invalid } from '../validate.js';

/**
 * The `signal` option of a generation, checked: undefined or an AbortSignal. Generations call
 * `signal.throwIfAborted()` before their first step and around each native step, so an abort
 * rejects with `signal.reason` (an 'AbortError' DOMException unless the caller gave a reason),
 * the convention of Node's own APIs, fetch and the openai client.
 */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) invalid('AbortSignal', 'signal', signal);
  return signal as AbortSignal | undefined;
}

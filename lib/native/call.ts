import { fromNative } from '../errors/fromNative.js';

/** Runs a synchronous native call, turning native errors into typed errors. */
export function callSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw fromNative(error);
  }
}

/**
 * Runs an asynchronous native call. The caller's stack is captured before the call, so a
 * rejection points at the user's code, not at the event-loop tick that settled it.
 */
export async function callAsync<T>(fn: () => Promise<T>): Promise<T> {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, callAsync);
  let promise: Promise<T>;
  try {
    promise = fn();
  } catch (error) {
    throw fromNative(error, holder.stack);
  }
  try {
    return await promise;
  } catch (error) {
    throw fromNative(error, holder.stack);
  }
}

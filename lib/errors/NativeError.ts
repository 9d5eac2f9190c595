import { SentenceVaeError } from './SentenceVaeError.js';

/** LibTorch or the native layer failed (the message is LibTorch's, without its C++ backtrace). */
export class NativeError extends SentenceVaeError {
  override name = 'NativeError';

  constructor(message: string, code = 'ERR_SVAE_NATIVE', options?: ErrorOptions) {
    super(message, code, options);
  }
}

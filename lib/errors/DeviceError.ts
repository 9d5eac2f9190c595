import { SentenceVaeError } from './SentenceVaeError.js';

/** A device is malformed, absent, or not supported by this build (e.g. CUDA on a CPU-only LibTorch). */
export class DeviceError extends SentenceVaeError {
  override name = 'DeviceError';

  constructor(message: string, code = 'ERR_SVAE_DEVICE', options?: ErrorOptions) {
    super(message, code, options);
  }
}

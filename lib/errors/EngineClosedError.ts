import { SentenceVaeError } from './SentenceVaeError.js';

/** Engine.submit() after close() began: the engine admits nothing new (HTTP: 503). */
export class EngineClosedError extends SentenceVaeError {
  override name = 'EngineClosedError';

  constructor(message: string, code = 'ERR_SVAE_ENGINE_CLOSED', options?: ErrorOptions) {
    super(message, code, options);
  }
}

import { SentenceVaeError } from './SentenceVaeError.js';

/** Engine.submit(): every slot is busy and the waiting queue holds maxQueue requests (HTTP: 429). */
export class QueueFullError extends SentenceVaeError {
  override name = 'QueueFullError';
  /** The queue's capacity. */
  readonly maxQueue: number;

  constructor(message: string, maxQueue: number, code = 'ERR_SVAE_QUEUE_FULL', options?: ErrorOptions) {
    super(message, code, options);
    this.maxQueue = maxQueue;
  }
}

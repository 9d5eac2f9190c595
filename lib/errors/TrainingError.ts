import { SentenceVaeError } from './SentenceVaeError.js';

/** Training had to stop (e.g. too many non-finite losses in a row). The last good checkpoint is intact. */
export class TrainingError extends SentenceVaeError {
  override name = 'TrainingError';
  /** The step of the last good checkpoint, or undefined when none was written. */
  readonly checkpointStep: number | undefined;

  constructor(message: string, checkpointStep?: number) {
    super(message, 'ERR_SVAE_TRAINING');
    this.checkpointStep = checkpointStep;
  }
}

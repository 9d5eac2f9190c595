import { SentenceVaeError } from './SentenceVaeError.js';

/**
 * A distributed (data-parallel) run failed: the process group did not form within its timeout
 * (a wrong MASTER_ADDR / MASTER_PORT, a rank that never started), or a collective failed because
 * a peer exited or stopped answering within the collective timeout. The group is unusable
 * afterwards: dispose it; a training run resumes from its last checkpoint with `resume`.
 */
export class DistributedError extends SentenceVaeError {
  override name = 'DistributedError';

  constructor(message: string, code = 'ERR_SVAE_DISTRIBUTED', options?: ErrorOptions) {
    super(message, code, options);
  }
}

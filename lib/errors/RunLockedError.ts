import { SentenceVaeError } from './SentenceVaeError.js';

/**
 * Another live process is training into the same run folder (its lock file names it). Two
 * writers would overwrite each other's checkpoints; wait for it, stop it, or pick another folder.
 */
export class RunLockedError extends SentenceVaeError {
  override name = 'RunLockedError';
  /** The run folder. */
  readonly path: string;
  /** The process that holds the lock. */
  readonly pid: number;

  constructor(message: string, where: { path: string; pid: number }) {
    super(message, 'ERR_SVAE_RUN_LOCKED');
    this.path = where.path;
    this.pid = where.pid;
  }
}

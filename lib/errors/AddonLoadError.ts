import { SentenceVaeError } from './SentenceVaeError.js';

/** One place the loader looked for the native addon, and why it did not load from there. */
export interface AddonAttempt {
  path: string;
  reason: string;
}

/** The native addon could not be loaded. `attempts` lists every path tried; the message says how to fix it. */
export class AddonLoadError extends SentenceVaeError {
  override name = 'AddonLoadError';
  readonly attempts: readonly AddonAttempt[];

  constructor(message: string, attempts: readonly AddonAttempt[]) {
    super(message, 'ERR_SVAE_ADDON_LOAD');
    this.attempts = attempts;
  }
}

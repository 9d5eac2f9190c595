import { HubError } from './HubError.js';

/**
 * Offline (HF_HUB_OFFLINE=1 or `offline: true`, or the Hub unreachable) and the cache lacks
 * what the model needs. `missing` lists the files (or the ref) not found; `cacheFolder` is the
 * repository's folder in the Hugging Face cache.
 */
export class HubOfflineError extends HubError {
  override name = 'HubOfflineError';
  readonly missing: readonly string[];
  readonly cacheFolder: string;

  constructor(message: string, where: { repo: string; revision: string; missing: readonly string[]; cacheFolder: string }, options?: ErrorOptions) {
    super(message, where, 'ERR_SVAE_HUB_OFFLINE', options);
    this.missing = Object.freeze([...where.missing]);
    this.cacheFolder = where.cacheFolder;
  }
}

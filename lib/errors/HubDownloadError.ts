import { HubError } from './HubError.js';

/**
 * A file could not be downloaded whole: the connection broke, the size or checksum did not
 * match, or the server answered an unexpected status. Nothing partial is left where a later
 * load would use it (the temporary file is removed); retrying resumes from scratch.
 */
export class HubDownloadError extends HubError {
  override name = 'HubDownloadError';
  /** The file in the repository ("model.safetensors"), when the failure concerns one. */
  readonly file: string | undefined;

  constructor(message: string, where: { repo: string; revision: string; file?: string }, options?: ErrorOptions) {
    super(message, where, 'ERR_SVAE_HUB_DOWNLOAD', options);
    this.file = where.file;
  }
}

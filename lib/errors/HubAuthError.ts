import { HubError } from './HubError.js';

/**
 * The Hub refused access (HTTP 401/403): a gated or private repository without a token, or a
 * token without access. The message says how to give one (HF_TOKEN or the `token` option).
 */
export class HubAuthError extends HubError {
  override name = 'HubAuthError';
  readonly status: number;

  constructor(message: string, where: { repo: string; revision: string; status: number }, options?: ErrorOptions) {
    super(message, where, 'ERR_SVAE_HUB_AUTH', options);
    this.status = where.status;
  }
}

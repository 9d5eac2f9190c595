import { InvalidArgumentError } from '../../errors/InvalidArgumentError.js';

/**
 * An HTTP request the server refuses, carrying what OpenAI's error JSON needs: the status, the
 * error `type`, the offending body field (`param`) and a machine-readable `code`.
 */
export class RequestError extends InvalidArgumentError {
  override name = 'RequestError';
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly errorCode: string | null;

  constructor(status: number, message: string, where: { type?: string; param?: string | null; code?: string | null } = {}) {
    super(message, 'ERR_SVAE_REQUEST');
    this.status = status;
    this.type = where.type ?? 'invalid_request_error';
    this.param = where.param ?? null;
    this.errorCode = where.code ?? null;
  }
}

import { EngineClosedError } from '../../errors/EngineClosedError.js';
import { InvalidArgumentError } from '../../errors/InvalidArgumentError.js';
import { QueueFullError } from '../../errors/QueueFullError.js';
import { RequestError } from './RequestError.js';

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error as the status and body an OpenAI client expects. */
export interface HttpFailure {
  status: number;
  body: OpenAiErrorBody;
  /** Seconds a client should wait before retrying (429, 503). */
  retryAfter?: number;
}

const failure = (status: number, message: string, type: string, param: string | null = null, code: string | null = null): HttpFailure => ({
  status, body: { error: { message, type, param, code } },
});

/**
 * Maps anything a handler or fastify throws to OpenAI's status and error JSON: our RequestError as
 * it says, fastify's body errors (413, malformed JSON, wrong content type), QueueFullError 429,
 * EngineClosedError 503, InvalidArgumentError 400 (a prompt too long: code
 * 'context_length_exceeded'); anything else is a 500 whose message reveals nothing internal.
 */
export function toHttpFailure(error: unknown): HttpFailure {
  if (error instanceof RequestError) return failure(error.status, error.message, error.type, error.param, error.errorCode);
  if (error instanceof QueueFullError) {
    return { ...failure(429, `The server is at capacity: ${error.message}. Retry later.`, 'requests', null, 'rate_limit_exceeded'), retryAfter: 1 };
  }
  if (error instanceof EngineClosedError) return { ...failure(503, 'The server is shutting down and accepts no new requests.', 'server_error', null, 'shutting_down'), retryAfter: 1 };
  if (error instanceof InvalidArgumentError) {
    const tooLong = error.code === 'ERR_SVAE_PROMPT_TOO_LONG';
    return failure(400, error.message, 'invalid_request_error', tooLong ? 'prompt' : null, tooLong ? 'context_length_exceeded' : null);
  }
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const statusCode = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return failure(413, 'The request body is larger than this server accepts.', 'invalid_request_error', null, 'request_too_large');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return failure(415, 'Expected a JSON body (Content-Type: application/json).', 'invalid_request_error');
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (statusCode === 400 && error instanceof SyntaxError)) {
    return failure(400, 'We could not parse the JSON body of your request. The API expects a JSON payload.', 'invalid_request_error', null, 'invalid_json');
  }
  if (statusCode >= 400 && statusCode < 500) {
    return failure(statusCode, typeof e?.message === 'string' ? e.message : 'Bad request.', 'invalid_request_error');
  }
  return failure(500, 'The server had an error while processing your request.', 'server_error');
}

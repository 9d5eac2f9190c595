/**
 * The `fetch` handed to @huggingface/hub, and the mapping of its failures to our typed errors.
 * The library's HubApiError keeps the status and URL but not the Hub's `X-Error-Code` header
 * (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo), which is what tells a missing
 * repository from a missing revision; the wrapper records it per URL.
 */
import { HubApiError } from '@huggingface/hub';

import { HubAuthError } from '../../errors/HubAuthError.js';
import { HubDownloadError } from '../../errors/HubDownloadError.js';
import { HubRepoNotFoundError } from '../../errors/HubRepoNotFoundError.js';
import { HubRevisionNotFoundError } from '../../errors/HubRevisionNotFoundError.js';

export interface RecordingFetch {
  fetch: typeof fetch;
  /** X-Error-Code of failed responses, by response URL. */
  codes: Map<string, string>;
}

export function recordingFetch(): RecordingFetch {
  const codes = new Map<string, string>();
  const wrapped: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!response.ok) {
      const code = response.headers.get('x-error-code');
      if (code) codes.set(response.url || String(input instanceof Request ? input.url : input), code);
    }
    return response;
  };
  return { fetch: wrapped, codes };
}

/** The network could not be reached at all (refused, DNS, reset before any answer). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}

/** The operating system's reason of a network error ("ECONNREFUSED 127.0.0.1:4000"), for messages. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.message ?? cause?.code ?? (error as Error).message;
}

/** A failure of a Hub call as one of our errors. */
export function hubError(error: unknown, ctx: { repo: string; revision: string; endpoint: string; file?: string }, codes: Map<string, string>): Error {
  const where = { repo: ctx.repo, revision: ctx.revision };
  if (!(error instanceof HubApiError)) {
    if (isNetworkError(error)) {
      return new HubDownloadError(`Could not reach ${ctx.endpoint} for ${ctx.repo}${ctx.file ? ` (${ctx.file})` : ''}: ${networkReason(error)}`, { ...where, ...(ctx.file ? { file: ctx.file } : {}) }, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
  const code = codes.get(error.url);
  const status = error.statusCode;
  if (code === 'RevisionNotFound') {
    return new HubRevisionNotFoundError(`${ctx.repo} has no revision '${ctx.revision}' (branch, tag or commit) on ${ctx.endpoint} (HTTP ${status})`, where, { cause: error });
  }
  if (code === 'RepoNotFound' || (status === 404 && code !== 'EntryNotFound')) {
    return new HubRepoNotFoundError(
      `Repository ${ctx.repo} not found on ${ctx.endpoint} (HTTP ${status}): check the name; a private or gated repository also needs a token (HF_TOKEN or the token option)`,
      where, { cause: error },
    );
  }
  if (code === 'GatedRepo' || status === 401 || status === 403) {
    return new HubAuthError(
      `Access to ${ctx.repo} was refused (HTTP ${status}${code ? ` ${code}` : ''}): a gated or private repository needs a token with access: set HF_TOKEN (or pass { token: 'hf_...' }), and accept the repository's terms on its page`,
      { ...where, status }, { cause: error },
    );
  }
  return new HubDownloadError(`${ctx.endpoint} answered HTTP ${status} for ${ctx.repo}${ctx.file ? ` (${ctx.file})` : ''}: ${error.message}`, { ...where, ...(ctx.file ? { file: ctx.file } : {}) }, { cause: error });
}

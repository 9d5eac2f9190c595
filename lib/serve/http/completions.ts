import type { FastifyReply, FastifyRequest } from 'fastify';

import type { EngineHandle, EngineResult } from '../types.js';
import type { ServableEngine } from './engineSurface.js';
import type { ServerMetrics } from './metrics.js';
import { toHttpFailure } from './openAiError.js';
import type { ParsedRequest } from './requests.js';
import { RequestError } from './RequestError.js';
import {
  chatBody, chatChunk, completionBody, completionChunk, openAiFinish, type ResponseHead, usageChunk, usageOf,
} from './shapes.js';
import { SseStream } from './sse.js';

/** What a completion handler needs from its server. */
export interface CompletionContext {
  engine: ServableEngine;
  metrics: ServerMetrics | null;
  /** The model name clients must send (GET /v1/models lists it). */
  model: string;
}

const shutDown = () => new RequestError(503, 'The server shut down before this request finished.', { type: 'server_error', code: 'shutting_down' });

/**
 * Runs one parsed request on the engine and answers it as OpenAI would: one JSON body, or (stream)
 * server-sent chunks — one per engine chunk: a sentence for an SLLM, a token for OPT — ending with
 * `data: [DONE]`. A client that goes away aborts its request, which leaves the batch at the next step.
 */
export async function answerCompletion(ctx: CompletionContext, parsed: ParsedRequest, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (parsed.model !== ctx.model) {
    throw new RequestError(404, `The model '${parsed.model}' does not exist; this server serves '${ctx.model}'`, { param: 'model', code: 'model_not_found' });
  }
  const controller = new AbortController();
  // 'close' on the response fires when it was sent or when the connection dropped; only the latter aborts.
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  if (request.raw.socket.destroyed) controller.abort();
  const handle = ctx.engine.submit({ ...parsed.engine, prompt: parsed.prompt, signal: controller.signal });
  const prefix = parsed.endpoint === 'chat' ? 'chatcmpl' : 'cmpl';
  const head: ResponseHead = { id: `${prefix}-${handle.id}`, created: Math.floor(Date.now() / 1000), model: ctx.model };
  const observe = (r: EngineResult) => ctx.metrics?.observeResult(parsed.endpoint, r);
  if (!parsed.stream) {
    const result = await handle.result;
    observe(result);
    if (controller.signal.aborted) return hangUp(reply);
    if (result.finishReason === 'abort') throw shutDown();
    const usage = usageOf(result.promptTokens, result.completionTokens);
    const finish = openAiFinish(result.finishReason);
    const text = parsed.echo ? parsed.prompt + result.text : result.text;
    await reply.send(parsed.endpoint === 'chat' ? chatBody(head, text, finish, usage) : completionBody(head, text, finish, usage));
    return;
  }
  await stream(parsed, head, handle, reply, controller.signal, observe);
}

/** The client is gone: nothing to send; fastify must not try. */
function hangUp(reply: FastifyReply): void {
  reply.hijack();
  if (!reply.raw.destroyed) reply.raw.destroy();
}

async function stream(parsed: ParsedRequest, head: ResponseHead, handle: EngineHandle, reply: FastifyReply, clientGone: AbortSignal, observe: (r: EngineResult) => void): Promise<void> {
  const chat = parsed.endpoint === 'chat';
  const withUsage = parsed.includeUsage;
  const sse = new SseStream(reply.raw);
  let opened = false;
  // Headers go out with the first chunk (or the end): an error before it (a prompt too long is
  // found only after tokenizing) is then still an ordinary OpenAI error response with its status.
  const open = async () => {
    if (opened) return;
    opened = true;
    reply.hijack();
    sse.open();
    if (chat) await sse.send(chatChunk(head, { role: 'assistant', content: '' }, null, withUsage));
    if (parsed.echo) await sse.send(completionChunk(head, parsed.prompt, null, withUsage));
  };
  let result: EngineResult;
  try {
    for await (const chunk of handle) {
      if (clientGone.aborted) break;
      if (chunk.text === '') continue;
      await open();
      await sse.send(chat ? chatChunk(head, { content: chunk.text }, null, withUsage) : completionChunk(head, chunk.text, null, withUsage));
    }
    result = await handle.result;
  } catch (error) {
    if (!opened) throw error;
    // Mid-stream failure: OpenAI's clients raise an `error` event as an API error.
    await sse.send(toHttpFailure(error).body);
    await sse.done();
    return;
  }
  observe(result);
  if (clientGone.aborted) return hangUp(reply);
  if (result.finishReason === 'abort') {
    if (!opened) throw shutDown();
    await sse.send(toHttpFailure(shutDown()).body);
    await sse.done();
    return;
  }
  await open();
  const finish = openAiFinish(result.finishReason);
  await sse.send(chat ? chatChunk(head, {}, finish, withUsage) : completionChunk(head, '', finish, withUsage));
  if (withUsage) await sse.send(usageChunk(head, chat ? 'chat.completion.chunk' : 'text_completion', usageOf(result.promptTokens, result.completionTokens)));
  await sse.done();
}

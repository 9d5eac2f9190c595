import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

import { expectInteger, expectString, invalid } from '../../validate.js';
import { bearerCheck } from './auth.js';
import { answerCompletion, type CompletionContext } from './completions.js';
import type { ServableEngine } from './engineSurface.js';
import { createMetrics } from './metrics.js';
import { type HttpFailure, toHttpFailure } from './openAiError.js';
import { parseChat, parseCompletion, type RequestLimits } from './requests.js';
import { RequestError } from './RequestError.js';
import { modelList } from './shapes.js';

/** How createServer() sets up the HTTP layer. */
export interface ServerOptions {
  /**
   * Clients must send `Authorization: Bearer <apiKey>` to /v1/*; /health and /metrics stay open
   * (bind them to a private network). Compared in constant time.
   * @default none (no key needed)
   * @example createServer(engine, { apiKey: process.env.SENTENCEVAE_API_KEY })
   */
  apiKey?: string;
  /** Name clients send as `model` and GET /v1/models lists. @default engine.modelName */
  modelName?: string;
  /** Largest request body in bytes (larger: 413). @default 1048576 (1 MiB) */
  bodyLimit?: number;
  /** Longest prompt in characters, checked before tokenizing (the engine's maxPromptTokens checks tokens). @default 200000 */
  maxPromptChars?: number;
  /** Largest `max_tokens` a request may ask for (larger: 400). @default 4096 */
  maxTokensLimit?: number;
  /** How long `close()` lets in-flight requests finish before the engine cuts them. @default 10000 */
  graceMs?: number;
  /** Whether `close()` also closes the engine (after the grace period). @default true */
  closeEngine?: boolean;
  /** Serve GET /metrics (Prometheus text). @default true */
  metrics?: boolean;
  /** Node's default process metrics (CPU, memory, event-loop lag) in /metrics too. @default true */
  processMetrics?: boolean;
  /** fastify's logger option. @default false */
  logger?: boolean;
}

/**
 * An OpenAI-compatible HTTP server over an Engine, on fastify: POST /v1/completions, POST
 * /v1/chat/completions (JSON or server-sent events), GET /v1/models, GET /health, GET /metrics.
 * It is returned ready to `listen()` (bind 127.0.0.1 unless it must be reachable from elsewhere)
 * or to be mounted in an existing app through `server.routing` after `await server.ready()`.
 * `close()` stops admitting (new requests get 503), lets in-flight requests finish for `graceMs`,
 * cuts the rest, closes the engine (unless `closeEngine: false`) and stops listening.
 *
 * @example
 * const engine = await Engine.create(await SLLM.load('./my-sllm'), { slots: 16 });
 * const server = createServer(engine, { apiKey: 'secret' });
 * await server.listen({ host: '127.0.0.1', port: 8080 });
 * // later: await server.close();
 */
export function createServer(engine: ServableEngine, options: ServerOptions = {}): FastifyInstance {
  const model = options.modelName === undefined ? engine.modelName : expectString(options.modelName, 'modelName');
  const graceMs = expectInteger(options.graceMs ?? 10_000, 'graceMs', 0);
  const limits: RequestLimits = {
    maxTokens: expectInteger(options.maxTokensLimit ?? 4096, 'maxTokensLimit', 1),
    maxPromptChars: expectInteger(options.maxPromptChars ?? 200_000, 'maxPromptChars', 1),
  };
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) invalid('a non-empty string', 'apiKey', options.apiKey);
  const authorized = options.apiKey === undefined ? null : bearerCheck(options.apiKey);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: expectInteger(options.bodyLimit ?? 1_048_576, 'bodyLimit', 1),
    // Our own 503 (OpenAI's error shape) while draining; fastify's would be its own JSON.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // close() waits in a preClose hook for the grace period; fastify's hook timeout must outlast it.
    pluginTimeout: Math.min(2 ** 31 - 1, Math.max(10_000, graceMs + 30_000)),
  });
  const metrics = options.metrics ?? true ? createMetrics(engine, { defaultMetrics: options.processMetrics ?? true }) : null;
  const ctx: CompletionContext = { engine, metrics, model };
  const started = Math.floor(Date.now() / 1000);
  let closing = false;

  const fail = (reply: FastifyReply, f: HttpFailure) => {
    if (f.retryAfter !== undefined) void reply.header('Retry-After', String(f.retryAfter));
    if (f.status === 401) void reply.header('WWW-Authenticate', 'Bearer');
    return reply.code(f.status).type('application/json').send(f.body);
  };
  app.setErrorHandler((error, request, reply) => {
    const f = toHttpFailure(error);
    if (f.status >= 500 && f.status !== 503) request.log.error(error);
    return fail(reply, f);
  });
  app.setNotFoundHandler((request, reply) => fail(reply, toHttpFailure(new RequestError(404, `Invalid URL (${request.method} ${request.url})`))));

  app.addHook('onRequest', async (request, reply) => {
    if (metrics) {
      const route = request.routeOptions.url ?? 'unmatched';
      reply.raw.once('close', () => metrics.countResponse(route, reply.raw.writableEnded ? String(reply.raw.statusCode) : '499'));
    }
    if (authorized && request.url.startsWith('/v1/') && !authorized(request.headers.authorization)) {
      throw new RequestError(401, 'Incorrect API key provided. Send it as "Authorization: Bearer <key>".', { code: 'invalid_api_key' });
    }
    if (closing && request.url.startsWith('/v1/')) {
      void reply.header('Connection', 'close');
      throw new RequestError(503, 'The server is shutting down and accepts no new requests.', { type: 'server_error', code: 'shutting_down' });
    }
  });

  app.post('/v1/completions', (request, reply) => answerCompletion(ctx, parseCompletion(request.body, engine.kind, limits), request, reply));
  app.post('/v1/chat/completions', (request, reply) => answerCompletion(ctx, parseChat(request.body, engine.kind, limits), request, reply));
  app.get('/v1/models', async () => modelList(model, started));
  app.get('/v1/models/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (id !== model) throw new RequestError(404, `The model '${id}' does not exist`, { param: 'model', code: 'model_not_found' });
    return modelList(model, started).data[0];
  });
  app.get('/health', async (_request, reply) => {
    const s = engine.stats();
    const ok = !closing && !s.closed;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'shutting_down', model, kind: s.kind, slots: s.slots, busySlots: s.busySlots, queued: s.queued, maxQueue: s.maxQueue,
    });
  });
  if (metrics) {
    app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  }

  // close(): admit nothing new, let in-flight requests finish for graceMs, cut the rest.
  app.addHook('preClose', async () => {
    closing = true;
    if (options.closeEngine ?? true) await engine.close({ graceMs });
  });
  app.addHook('onClose', async () => {
    metrics?.detach();
  });
  return app;
}

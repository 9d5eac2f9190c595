import type { EngineModelKind, EngineRequest } from '../types.js';
import { chatPrompt, chatStops, parseMessages } from './chatTemplate.js';
import { badField, Fields } from './fields.js';
import { RequestError } from './RequestError.js';

/** A checked completion or chat completion request, in the engine's terms. */
export interface ParsedRequest {
  endpoint: 'completions' | 'chat';
  model: string;
  /** The text the engine continues (chat: the messages through the chat template). */
  prompt: string;
  stream: boolean;
  /** stream_options.include_usage: one last chunk with `usage` and no choices. */
  includeUsage: boolean;
  /** Completions' `echo`: the prompt is sent back in front of the completion. */
  echo: boolean;
  /** Everything the engine needs but the prompt and the abort signal. */
  engine: Omit<EngineRequest, 'prompt' | 'signal'>;
}

/** Limits a request is held to. */
export interface RequestLimits {
  /** Largest `max_tokens` accepted (an absurd one is a 400, not a long wait). */
  maxTokens: number;
  /** Longest prompt accepted, in characters (checked before tokenizing). */
  maxPromptChars: number;
}

const isZero = (v: unknown) => v === 0;
const isFalse = (v: unknown) => v === false;
const isEmptyObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;

/** Checks a POST /v1/completions body (OpenAI's shape) and turns it into an engine request. */
export function parseCompletion(body: unknown, kind: EngineModelKind, limits: RequestLimits): ParsedRequest {
  const f = new Fields(body);
  const prompt = promptOf(f.raw('prompt'));
  f.unsupported('suffix', (v) => v === '', 'no insertion');
  f.unsupported('logprobs', isZero, 'no log probabilities');
  f.unsupported('best_of', (v) => v === 1, 'one candidate per request');
  return common(f, 'completions', prompt, f.integer('max_tokens', 1, limits.maxTokens, ` (this server's limit is ${limits.maxTokens})`), [], kind, limits);
}

/** Checks a POST /v1/chat/completions body and turns it into an engine request through the plain chat template. */
export function parseChat(body: unknown, kind: EngineModelKind, limits: RequestLimits): ParsedRequest {
  const f = new Fields(body);
  const prompt = chatPrompt(parseMessages(f.raw('messages')));
  f.unsupported('logprobs', isFalse, 'no log probabilities');
  f.unsupported('top_logprobs', isZero, 'no log probabilities');
  f.unsupported('tools', (v) => Array.isArray(v) && v.length === 0, 'no tool calls');
  f.unsupported('functions', (v) => Array.isArray(v) && v.length === 0, 'no function calls');
  f.unsupported('tool_choice', (v) => v === 'none', 'no tool calls');
  f.unsupported('response_format', (v) => (v as { type?: unknown }).type === 'text', 'text output only');
  f.unsupported('audio', () => false, 'text output only');
  f.unsupported('modalities', (v) => Array.isArray(v) && v.every((m) => m === 'text'), 'text output only');
  const why = ` (this server's limit is ${limits.maxTokens})`;
  const maxTokens = f.integer('max_completion_tokens', 1, limits.maxTokens, why) ?? f.integer('max_tokens', 1, limits.maxTokens, why);
  return common(f, 'chat', prompt, maxTokens, chatStops, kind, limits);
}

function promptOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  if (Array.isArray(value) && value.length > 1 && value.every((p) => typeof p === 'string')) {
    throw badField('one prompt (a string)', 'prompt', value, ': this server answers one prompt per request (send the prompts as separate, concurrent requests; they are batched together)');
  }
  throw badField('a string', 'prompt', value, Array.isArray(value) && value.length > 0 && typeof value[0] !== 'string' ? ': token id prompts are not supported' : '');
}

function common(f: Fields, endpoint: ParsedRequest['endpoint'], prompt: string, maxTokens: number | undefined, extraStops: readonly string[], kind: EngineModelKind, limits: RequestLimits): ParsedRequest {
  const model = f.string('model');
  if (model === undefined) throw badField('a string', 'model', undefined);
  if (prompt.length > limits.maxPromptChars) {
    throw new RequestError(400, `The prompt has ${prompt.length} characters; this server accepts at most ${limits.maxPromptChars}`, { param: endpoint === 'chat' ? 'messages' : 'prompt', code: 'context_length_exceeded' });
  }
  const n = f.raw('n');
  if (n !== undefined && n !== 1) throw badField('1', 'n', n, ': this server generates one choice per request (send concurrent requests instead; they are batched together)');
  // OpenAI's penalties with OpenAI's semantics (counts over the completion's tokens).
  const presencePenalty = f.number('presence_penalty', -2, 2);
  const frequencyPenalty = f.number('frequency_penalty', -2, 2);
  f.unsupported('logit_bias', isEmptyObject, 'no logit bias');
  f.string('user');
  const stream = f.boolean('stream') ?? false;
  const streamOptions = f.raw('stream_options');
  let includeUsage = false;
  if (streamOptions !== undefined) {
    if (!stream) throw new RequestError(400, 'stream_options is only allowed when stream is true', { param: 'stream_options' });
    if (typeof streamOptions !== 'object' || Array.isArray(streamOptions)) throw badField('an object', 'stream_options', streamOptions);
    const usage = (streamOptions as { include_usage?: unknown }).include_usage ?? undefined;
    if (usage !== undefined && typeof usage !== 'boolean') throw badField('a boolean', 'stream_options.include_usage', usage);
    includeUsage = usage ?? false;
  }
  const temperature = f.number('temperature', 0, 2);
  const topP = f.number('top_p', 0, 1);
  // Extensions many OpenAI-compatible servers accept.
  const topK = f.integer('top_k', 0, 1_000_000);
  const maxSentences = f.integer('max_sentences', 1, 4096);
  const seed = f.integer('seed', 0, Number.MAX_SAFE_INTEGER);
  const stop = stopsOf(f.raw('stop'));
  // Benchmark extensions: vLLM's ignore_eos, and forced sentence lengths (SLLM).
  const ignoreStop = f.boolean('ignore_eos');
  const sentenceTokens = sentenceTokensOf(f.raw('sentence_tokens'));
  // Repetition extensions with vLLM's / Hugging Face's names (docs/generation.md).
  const repetitionPenalty = f.number('repetition_penalty', 0.000001, 1_000_000);
  const noRepeatNgramSize = f.integer('no_repeat_ngram_size', 0, 1024);
  const minTokens = kind === 'opt' ? f.integer('min_tokens', 0, limits.maxTokens) : undefined;
  const minSentenceTokens = kind === 'sllm' ? f.integer('min_sentence_tokens', 0, 1024) : undefined;
  const noRepeatSentences = kind === 'sllm' ? f.boolean('no_repeat_sentences') : undefined;
  const engine: ParsedRequest['engine'] = {
    // OpenAI's default temperature is 1 (sampling); top_p 0 keeps only the most likely token.
    temperature: topP === 0 ? 0 : temperature ?? 1,
    stop: [...stop, ...extraStops],
  };
  // Without a seed the engine draws one, so unseeded requests differ as OpenAI's do.
  if (seed !== undefined) engine.seed = seed;
  if (ignoreStop !== undefined) engine.ignoreStop = ignoreStop;
  if (sentenceTokens !== undefined && kind === 'sllm') engine.sentenceTokens = sentenceTokens;
  if (maxTokens !== undefined) engine.maxTokens = maxTokens;
  if (topP !== undefined && topP > 0) engine.topP = topP;
  if (topK !== undefined) engine.topK = topK;
  if (presencePenalty !== undefined) engine.presencePenalty = presencePenalty;
  if (frequencyPenalty !== undefined) engine.frequencyPenalty = frequencyPenalty;
  if (repetitionPenalty !== undefined) engine.repetitionPenalty = repetitionPenalty;
  if (noRepeatNgramSize !== undefined) engine.noRepeatNgramSize = noRepeatNgramSize;
  if (minTokens !== undefined) engine.minNewTokens = minTokens;
  if (minSentenceTokens !== undefined) engine.minSentenceTokens = minSentenceTokens;
  if (noRepeatSentences !== undefined) engine.noRepeatSentences = noRepeatSentences;
  // OpenAI's only length limit is max_tokens: an SLLM is not also held to the engine's default sentence cap.
  if (kind === 'sllm') engine.maxSentences = maxSentences ?? limits.maxTokens;
  const echo = endpoint === 'completions' && (f.boolean('echo') ?? false);
  return { endpoint, model, prompt, stream, includeUsage, echo, engine };
}

function stopsOf(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value) && value.length <= 4 && value.every((s) => typeof s === 'string' && s.length > 0)) return value as string[];
  throw badField('a string or an array of at most 4 non-empty strings', 'stop', value);
}

function sentenceTokensOf(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.length > 0 && value.length <= 4096 && value.every((n) => Number.isInteger(n) && n >= 1 && n <= 1024)) return value as number[];
  throw badField('a non-empty array of positive integers', 'sentence_tokens', value);
}

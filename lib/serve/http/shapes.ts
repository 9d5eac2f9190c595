/**
 * OpenAI's response bodies, field for field (completions, chat completions, their stream chunks,
 * the model list), so that OpenAI's own clients read them unchanged.
 */
import type { FinishReason } from '../types.js';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** OpenAI's finish reasons: a time limit is reported as 'length' (a limit cut the completion). */
export type OpenAiFinishReason = 'stop' | 'length';

export const openAiFinish = (reason: FinishReason): OpenAiFinishReason => (reason === 'stop' ? 'stop' : 'length');

export const usageOf = (promptTokens: number, completionTokens: number): Usage => ({
  prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens,
});

/** What every body of one response shares. */
export interface ResponseHead {
  id: string;
  created: number;
  model: string;
}

export function completionBody(head: ResponseHead, text: string, finish: OpenAiFinishReason, usage: Usage) {
  return {
    id: head.id, object: 'text_completion', created: head.created, model: head.model, system_fingerprint: null,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    usage,
  };
}

export function completionChunk(head: ResponseHead, text: string, finish: OpenAiFinishReason | null, withUsage: boolean) {
  return {
    id: head.id, object: 'text_completion', created: head.created, model: head.model, system_fingerprint: null,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  };
}

export function chatBody(head: ResponseHead, content: string, finish: OpenAiFinishReason, usage: Usage) {
  return {
    id: head.id, object: 'chat.completion', created: head.created, model: head.model, system_fingerprint: null,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish }],
    usage,
  };
}

/** A chat stream chunk: the first carries the role, the last an empty delta and the finish reason. */
export function chatChunk(head: ResponseHead, delta: { role?: 'assistant'; content?: string }, finish: OpenAiFinishReason | null, withUsage: boolean) {
  return {
    id: head.id, object: 'chat.completion.chunk', created: head.created, model: head.model, system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  };
}

/** stream_options.include_usage: the last chunk before [DONE] has no choices and the usage. */
export function usageChunk(head: ResponseHead, object: 'text_completion' | 'chat.completion.chunk', usage: Usage) {
  return { id: head.id, object, created: head.created, model: head.model, system_fingerprint: null, choices: [], usage };
}

export function modelList(model: string, created: number) {
  return { object: 'list', data: [{ id: model, object: 'model', created, owned_by: 'sentencevae' }] };
}

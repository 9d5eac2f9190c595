import { describeJson } from './fields.js';
import { RequestError } from './RequestError.js';

/** One chat message as OpenAI's API sends it (text content only). */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content: string;
}

const labels: Record<ChatMessage['role'], string> = {
  system: 'System', developer: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool',
};

/**
 * The plain chat template: one line per message, `<Role>: <content>`, then `Assistant:` for the
 * model to continue (roles: system and developer → System, user → User, assistant → Assistant,
 * tool → Tool). The models served here are base models without a chat format of their own, so the
 * template is the simplest text a base model continues as a dialogue.
 *
 * @example
 * chatPrompt([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi.' }])
 * // 'System: Be brief.\nUser: Hi.\nAssistant:'
 */
export function chatPrompt(messages: readonly ChatMessage[]): string {
  return `${messages.map((m) => `${labels[m.role]}: ${m.content}\n`).join('')}Assistant:`;
}

/** Stop strings every chat completion gets besides the request's own: a new turn of the user. */
export const chatStops: readonly string[] = ['\nUser:'];

/** Checks OpenAI's `messages` array: roles, and content as a string or text parts (joined). */
export function parseMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RequestError(400, `Expected a non-empty array of messages for messages but received ${describeJson(value)}`, { param: 'messages' });
  }
  return value.map((m: unknown, i) => {
    const param = `messages[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new RequestError(400, `Expected an object for ${param} but received ${describeJson(m)}`, { param });
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !(role in labels)) {
      throw new RequestError(400, `Expected one of 'system', 'developer', 'user', 'assistant', 'tool' for ${param}.role but received ${describeJson(role)}`, { param: `${param}.role` });
    }
    return { role: role as ChatMessage['role'], content: messageText(content, `${param}.content`, role === 'assistant') };
  });
}

function messageText(content: unknown, param: string, mayBeEmpty: boolean): string {
  if (typeof content === 'string') return content;
  if ((content === null || content === undefined) && mayBeEmpty) return '';
  if (Array.isArray(content)) {
    return content.map((part: unknown, j) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (p === null || typeof p !== 'object' || p.type !== 'text' || typeof p.text !== 'string') {
        throw new RequestError(400, `Expected a text part ({ type: 'text', text: string }) for ${param}[${j}] but received ${describeJson(part)}: this server reads text only`, { param: `${param}[${j}]` });
      }
      return p.text;
    }).join('');
  }
  throw new RequestError(400, `Expected a string or an array of text parts for ${param} but received ${describeJson(content)}`, { param });
}

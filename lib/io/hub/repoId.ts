/** Model ids: `ORG/NAME[@revision]` (fromPretrained) and `hf:ORG/NAME[@revision]` (the CLI's --model). */
import { checkRevision } from './options.js';
import { invalid } from '../../validate.js';

export interface ModelId {
  /** "ORG/NAME" (or a bare canonical "NAME" such as "gpt2"). */
  repo: string;
  /** The revision after '@', if any. */
  revision: string | undefined;
}

// Hub names: letters, digits, '-', '_', '.'; no '--' or '..'; not starting or ending with '-' or '.'; 96 characters at most.
const part = /^(?![-.])(?!.*--)(?!.*\.\.)[A-Za-z0-9._-]{1,96}(?<![-.])$/;

/** Parses `ORG/NAME[@revision]`; anything else is an InvalidArgumentError in the house wording. */
export function parseModelId(value: unknown, name = 'id'): ModelId {
  const what = "Hugging Face model id 'ORG/NAME' or 'ORG/NAME@revision'";
  if (typeof value !== 'string') invalid(what, name, value);
  const at = value.indexOf('@');
  const repo = at < 0 ? value : value.slice(0, at);
  const parts = repo.split('/');
  if (parts.length > 2 || !parts.every((p) => part.test(p))) invalid(what, name, value);
  const revision = at < 0 ? undefined : checkRevision(value.slice(at + 1), `${name} (the part after '@')`);
  return { repo, revision };
}

/** True for the CLI's `hf:` model references. */
export const isHfUri = (value: string): boolean => value.startsWith('hf:');

/** Parses `hf:ORG/NAME[@revision]`. */
export function parseHfUri(value: string, name: string): ModelId {
  if (!isHfUri(value)) invalid("'hf:ORG/NAME[@revision]'", name, value);
  return parseModelId(value.slice(3), name);
}

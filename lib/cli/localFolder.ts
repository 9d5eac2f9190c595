/**
 * A model flag's folder. `--model hf:ORG/NAME[@revision]` (and --baseline, --opt, --svae) is
 * downloaded into (or found in) the Hugging Face cache and its snapshot folder returned; any other
 * value is a folder already. Commands call this after every flag is checked, so a typo in another
 * flag never costs a download. Settings come from the environment (HF_ENDPOINT, HF_TOKEN,
 * HF_HUB_OFFLINE, HF_HUB_CACHE / HF_HOME); progress goes to stderr.
 */
import { isHfUri, parseHfUri } from '../io/hub/repoId.js';
import type { ModelKind } from '../io/hub/select.js';

/**
 * The local folder for `value`, given as `--<flag>` (or as a positional argument named `<in>`). OPT's file selection (config, safetensors
 * else .bin, tokenizer when present) also covers SLLM folders: the command decides what the folder
 * is once it is local.
 */
export async function localFolder(value: string, flag: string, kind: ModelKind = 'OPT'): Promise<string> {
  if (!isHfUri(value)) return value;
  // A positional argument is named as in its usage line ('<in>'), a flag as typed ('--model').
  const id = parseHfUri(value, flag.startsWith('<') ? flag : `--${flag}`);
  // The Hub client is loaded only for hf: values: a plain folder never pays its import.
  const { resolvePretrained } = await import('../io/hub/resolve.js');
  return resolvePretrained(id.revision ? `${id.repo}@${id.revision}` : id.repo, kind);
}

/** The repository name of an hf: value (serve names the model after it), else undefined. */
export function hubRepoName(value: string, flag: string): string | undefined {
  return isHfUri(value) ? parseHfUri(value, `--${flag}`).repo : undefined;
}

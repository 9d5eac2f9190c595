/**
 * `--model hf:ORG/NAME[@revision]` (and --baseline, --opt, --svae) in every command: each such
 * value is downloaded into (or found in) the Hugging Face cache and replaced by the snapshot
 * folder before the command runs, so the commands themselves only ever see folders. Settings
 * come from the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE / HF_HOME);
 * progress goes to stderr.
 */
import { resolvePretrained } from '../io/hub/resolve.js';
import { isHfUri, parseHfUri } from '../io/hub/repoId.js';
import type { ModelKind } from '../io/hub/select.js';

/** Flags that take a model folder, and the kind whose files they need. */
const modelFlags: Record<string, ModelKind> = {
  // OPT's selection (config, safetensors else .bin, tokenizer when present) also covers SLLM
  // folders: the command decides what the folder is once it is local.
  model: 'OPT',
  baseline: 'OPT',
  opt: 'OPT',
  svae: 'SentenceVAE',
};

/** True when some argument is an `hf:` reference (so main.ts loads this module only then). */
export const hasHubArgs = (argv: readonly string[]): boolean => argv.some((a) => isHfUri(a) || /^--[\w-]+=hf:/.test(a));

/** argv with every `hf:` model reference replaced by its local snapshot folder. */
export async function resolveHubArgs(command: string, argv: readonly string[]): Promise<string[]> {
  const out = [...argv];
  let repoName: string | undefined;
  for (let i = 0; i < out.length; i++) {
    const arg = out[i]!;
    const inline = /^--([\w-]+)=(hf:.*)$/s.exec(arg);
    const flag = inline ? inline[1]! : arg.startsWith('--') ? arg.slice(2) : undefined;
    const valueAt = inline ? i : i + 1;
    const value = inline ? inline[2]! : out[i + 1];
    if (flag === undefined || !(flag in modelFlags) || value === undefined || !isHfUri(value)) continue;
    const id = parseHfUri(value, `--${flag}`);
    const dir = await resolvePretrained(id.revision ? `${id.repo}@${id.revision}` : id.repo, modelFlags[flag]!);
    out[valueAt] = inline ? `--${flag}=${dir}` : dir;
    if (flag === 'model') repoName = id.repo;
    if (!inline) i++;
  }
  // serve names the model after its folder: a snapshot's folder is a commit hash, so use the repository's name.
  if (command === 'serve' && repoName && !out.some((a) => a === '--model-name' || a.startsWith('--model-name='))) out.push('--model-name', repoName);
  return out;
}

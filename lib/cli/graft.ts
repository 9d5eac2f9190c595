/** `sentencevae graft --opt <dir> --out <dir>`: grafts a SentenceVAE onto an OPT folder and saves the SLLM. */
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { makeOutputDir } from '../files.js';
import { OPT } from '../models/OPT.js';
import { SLLM } from '../models/SLLM.js';
import { SentenceVAE } from '../models/SentenceVAE.js';
import { parseFlags } from './args.js';
import { intFlag } from './flags.js';
import { localFolder } from './localFolder.js';

export const graftUsage = `Usage: sentencevae graft --opt <dir> --out <dir> [flags]

  --opt <dir>          a Hugging Face OPT folder (facebook/opt-125m, -350m, -1.3b, ...)
  --out <dir>          where the SLLM folder is written
  --svae <dir>         start from a trained SentenceVAE (its hidden size must equal OPT's)
  --svae-layers N      blocks of a fresh SentenceVAE's encoder and decoder (default: 1)
  --seed N             initialization of the fresh parts (default: 0)

OPT's decoder layers, positions and final LayerNorm become the sentence-level LLM; its token
embedding, lm_head and (opt-350m) project_in/project_out are dropped.`;

export async function graft(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(graftUsage);
    return 0;
  }
  const f = parseFlags(argv, { opt: 'string', out: 'string', svae: 'string', 'svae-layers': 'number', seed: 'number' });
  if (typeof f.opt !== 'string' || typeof f.out !== 'string') throw new InvalidArgumentError(`--opt <dir> and --out <dir> are required\n\n${graftUsage}`);
  const out = f.out;
  const layers = intFlag(f, 'svae-layers', 1, 64) ?? 1;
  const seed = intFlag(f, 'seed', 0, Number.MAX_SAFE_INTEGER) ?? 0;
  const opt = await localFolder(f.opt, 'opt');
  const svaeDir = typeof f.svae === 'string' ? await localFolder(f.svae, 'svae', 'SentenceVAE') : undefined;
  if (!OPT.isOptFolder(opt)) throw new InvalidArgumentError(`${opt} is not a Hugging Face OPT folder (config.json + model.safetensors or pytorch_model.bin)`);
  if (svaeDir !== undefined && !SentenceVAE.isSentenceVaeFolder(svaeDir)) throw new InvalidArgumentError(`--svae ${svaeDir} is not a SentenceVAE folder (config.json with "architecture": "SentenceVAE" + model.safetensors)`);
  const svae = svaeDir ?? { layers };
  await makeOutputDir(out); // before the graft: an unusable --out fails at once
  await using sllm = await SLLM.fromOpt(opt, { svae, seed });
  await sllm.save(out);
  console.error(`[graft] ${opt} + SentenceVAE (hidden ${sllm.config.svae.hidden}, ${sllm.config.svae.layers} block(s)) -> ${out}: ${sllm.parameterCount.toLocaleString('en-US')} parameters`);
  return 0;
}

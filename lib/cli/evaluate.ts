/**
 * `sentencevae eval --model <dir> [--baseline <opt dir>]`: held-out perplexity of an SLLM or an
 * OPT over the same tokens (sentences 2..S of each paragraph and its end, given sentence 1).
 */
import { checkCorpus } from '../data/corpus.js';
import { ParagraphDataset } from '../data/ParagraphDataset.js';
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { readModelConfig } from '../io/json.js';
import { OPT } from '../models/OPT.js';
import { SLLM } from '../models/SLLM.js';
import { parseFlags } from './args.js';
import { deviceFlag, intFlag, oneOfFlag, requiredFlag } from './flags.js';
import { rejectSentenceVae } from './modelFolder.js';
import { localFolder } from './localFolder.js';

export const evalUsage = `Usage: sentencevae eval --model <dir> [flags]

  --model <dir>          an SLLM folder or a Hugging Face OPT folder
  --baseline <dir>       also evaluate this OPT folder on the same tokens
  --data <file|dir|brown> paragraphs (default: brown)
  --split <validation|train|all> (default: validation)
  --limit N              paragraphs (default: 1000)
  --max-sentences N      sentences per paragraph chunk, >= 2 (default: 64)
  --device <cpu|cuda|cuda:N|auto> (default: cpu)

A SentenceVAE folder is not a language model: \`sentencevae reconstruct\` shows what it makes of
sentences. Prints one JSON line per model: { model, ppl, contentPpl, tokens, ... }; an SLLM's also has
stopAccuracy, stopBaseRate (always answering the majority class), stopPrecision, stopRecall
and stopConfusion { tp, fp, fn, tn } (positive = "stop").`;

export async function evaluate(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(evalUsage);
    return 0;
  }
  const f = parseFlags(argv, { model: 'string', baseline: 'string', data: 'string', split: 'string', limit: 'number', 'max-sentences': 'number', device: 'string' });
  // Every flag is checked before a corpus is read or a model loaded.
  const modelDir = requiredFlag(f, 'model', '<dir>', evalUsage);
  const device = deviceFlag(f) ?? 'cpu';
  const split = oneOfFlag(f, 'split', ['validation', 'train', 'all'] as const) ?? 'validation';
  const limit = intFlag(f, 'limit', 1) ?? 1000;
  const maxSentences = intFlag(f, 'max-sentences', 2) ?? 64;
  const dirs = [await localFolder(modelDir, 'model'), ...(typeof f.baseline === 'string' ? [await localFolder(f.baseline, 'baseline')] : [])];
  for (const dir of dirs) {
    rejectSentenceVae(dir, 'eval');
    if (!SLLM.isSllmFolder(dir) && !OPT.isOptFolder(dir)) throw new InvalidArgumentError(`${dir} is neither an SLLM folder nor a Hugging Face OPT folder`);
  }
  await checkCorpus((f.data as string | undefined) ?? 'brown'); // before any model is loaded
  let maxTokens = 64;
  const sllmDir = dirs.find((d) => SLLM.isSllmFolder(d));
  if (sllmDir) maxTokens = ((await readModelConfig(sllmDir, 'SLLM')).raw as { svae: { maxTokens: number } }).svae.maxTokens;
  for (const dir of dirs) {
    const sllm = SLLM.isSllmFolder(dir);
    const model = sllm ? await SLLM.load(dir, { device }) : await OPT.load(dir, { device });
    try {
      // Same paragraphs (same segmentation into pieces) for every model.
      const data = await ParagraphDataset.fromCorpus((f.data as string | undefined) ?? 'brown', model.tokenizer, {
        split, limit, maxTokens, maxSentences,
      });
      const e = await model.evaluate(data);
      console.log(JSON.stringify({ model: dir, kind: sllm ? 'SLLM' : 'OPT', paragraphs: data.size, ...e }));
    } finally {
      model.dispose();
    }
  }
  return 0;
}

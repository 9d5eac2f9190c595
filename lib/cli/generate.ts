/** `sentencevae generate --model <dir> --prompt "..."`: streams a completion to stdout (OPT token by token, SLLM sentence by sentence). */
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { OPT } from '../models/OPT.js';
import { SLLM } from '../models/SLLM.js';
import { invalid } from '../validate.js';
import { parseFlags } from './args.js';
import { deviceFlag, inferenceDtypeFlag, intFlag, positiveFlag, requiredFlag, samplingFlagKinds, samplingFlags } from './flags.js';
import { rejectSentenceVae } from './modelFolder.js';
import { localFolder } from './localFolder.js';

export const generateUsage = `Usage: sentencevae generate --model <dir> --prompt "text" [flags]

  --model <dir>          an SLLM folder, or a Hugging Face OPT folder (config.json + weights + tokenizer)
  --prompt <text>        the prompt
  --max-new-tokens N     most tokens generated (default: 40)
  --max-sentences N      SLLM: most sentences generated (default: 16)
  --sample               sample instead of greedy decoding
  --temperature X        > 0 (default: 1)
  --top-k N              (default: 0 = off)
  --top-p X              in [0, 1] (default: 1 = off)
  --seed N               (default: 0)
  --repetition-penalty X (default: 1 = off; docs/generation.md)
  --no-repeat-ngram-size N (default: 0 = off)
  --min-new-tokens N     OPT: no eos before N tokens (default: 0)
  --min-sentence-tokens N  SLLM: no sentence shorter than N tokens (default: 0)
  --no-repeat-sentences  SLLM: never repeat a sentence of the context
  --stop <text>          end at this string (cut before it)
  --device <cpu|cuda|cuda:N|auto> (default: cpu)
  --dtype <auto|float32|bfloat16|float16|int8> (default: auto = int8 on the CPU, float32 on CUDA)

A SentenceVAE folder does not generate: use \`sentencevae reconstruct\` or \`encode\` with it.
Ctrl-C stops after the current step (exit code 130).`;

export async function generate(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(generateUsage);
    return 0;
  }
  const f = parseFlags(argv, {
    model: 'string', prompt: 'string', 'max-new-tokens': 'number', device: 'string', dtype: 'string', 'max-sentences': 'number', ...samplingFlagKinds,
    'repetition-penalty': 'number', 'no-repeat-ngram-size': 'number', 'min-new-tokens': 'number', 'min-sentence-tokens': 'number',
    'no-repeat-sentences': 'boolean', stop: 'string',
  });
  // Every flag is checked before anything is printed or loaded.
  const modelFlag = requiredFlag(f, 'model', '<dir>', generateUsage);
  if (typeof f.prompt !== 'string') throw new InvalidArgumentError(`--prompt "text" is required\n\n${generateUsage}`);
  const prompt = f.prompt;
  const sampling = samplingFlags(f);
  const maxNewTokens = intFlag(f, 'max-new-tokens', 1) ?? 40;
  const maxSentences = intFlag(f, 'max-sentences', 1) ?? 16;
  // The controls of docs/generation.md, checked here in flag names before anything loads.
  const repetitionPenalty = positiveFlag(f, 'repetition-penalty');
  const noRepeatNgramSize = intFlag(f, 'no-repeat-ngram-size', 0);
  const minNewTokens = intFlag(f, 'min-new-tokens', 0);
  const minSentenceTokens = intFlag(f, 'min-sentence-tokens', 0);
  if (f['no-repeat-sentences'] !== undefined && typeof f['no-repeat-sentences'] !== 'boolean') invalid('a switch without a value', '--no-repeat-sentences', f['no-repeat-sentences']);
  const controls = {
    ...(repetitionPenalty !== undefined ? { repetitionPenalty } : {}),
    ...(noRepeatNgramSize !== undefined ? { noRepeatNgramSize } : {}),
    ...(typeof f.stop === 'string' ? { stop: f.stop } : {}),
  };
  const device = deviceFlag(f) ?? 'cpu';
  const placement = { device, dtype: inferenceDtypeFlag(f, device) };
  const model = await localFolder(modelFlag, 'model');
  rejectSentenceVae(model, 'generate');
  const sllm = SLLM.isSllmFolder(model);
  if (!sllm && !OPT.isOptFolder(model)) {
    throw new InvalidArgumentError(`${model} is not a model folder sentencevae can generate with (expected an SLLM folder, or a Hugging Face OPT folder: config.json + model.safetensors or pytorch_model.bin)`);
  }
  if (sllm && prompt.trim() === '') invalid('non-empty text (an SLLM continues from at least one sentence)', '--prompt', prompt);

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    if (sllm) {
      await using m = await SLLM.load(model, placement);
      process.stdout.write(prompt);
      for await (const s of m.generate(prompt, { ...sampling, ...controls, ...(minSentenceTokens !== undefined ? { minSentenceTokens } : {}), ...(f['no-repeat-sentences'] === true ? { noRepeatSentences: true } : {}), maxTokens: maxNewTokens, maxSentences, signal: controller.signal })) process.stdout.write(s.text);
    } else {
      await using m = await OPT.load(model, placement);
      process.stdout.write(prompt);
      for await (const e of m.stream(prompt, { ...sampling, ...controls, ...(minNewTokens !== undefined ? { minNewTokens } : {}), maxNewTokens, signal: controller.signal })) process.stdout.write(e.text);
    }
    process.stdout.write('\n');
    return 0;
  } catch (error) {
    // Ctrl-C: what was generated stays on screen; 130 is the shell's code for "ended by SIGINT".
    if (controller.signal.aborted && error === controller.signal.reason) {
      process.stdout.write('\n');
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', stop);
  }
}

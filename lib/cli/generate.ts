/** `sentencevae generate --model <dir> --prompt "..."`: streams a completion to stdout (OPT token by token, SLLM sentence by sentence). */
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { OPT } from '../models/OPT.js';
import { SLLM } from '../models/SLLM.js';
import { parseFlags } from './args.js';

export const generateUsage = `Usage: sentencevae generate --model <dir> --prompt "text" [flags]

  --model <dir>          an SLLM folder, or a Hugging Face OPT folder (config.json + weights + tokenizer)
  --prompt <text>        the prompt
  --max-new-tokens N     most tokens generated (default: 40)
  --max-sentences N      SLLM: most sentences generated (default: 16)
  --sample               sample instead of greedy decoding
  --temperature X        (default: 1)
  --top-k N              (default: 0 = off)
  --top-p X              (default: 1 = off)
  --seed N               (default: 0)
  --repetition-penalty X (default: 1 = off; docs/generation.md)
  --no-repeat-ngram-size N (default: 0 = off)
  --min-new-tokens N     OPT: no eos before N tokens (default: 0)
  --min-sentence-tokens N  SLLM: no sentence shorter than N tokens (default: 0)
  --no-repeat-sentences  SLLM: never repeat a sentence of the context
  --stop <text>          end at this string (cut before it)
  --device <cpu|cuda|auto> (default: cpu)
  --dtype <float32|bfloat16|float16> (default: float32)`;

export async function generate(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(generateUsage);
    return 0;
  }
  const f = parseFlags(argv, {
    model: 'string', prompt: 'string', 'max-new-tokens': 'number', sample: 'boolean', temperature: 'number',
    'top-k': 'number', 'top-p': 'number', seed: 'number', device: 'string', dtype: 'string', 'max-sentences': 'number',
    'repetition-penalty': 'number', 'no-repeat-ngram-size': 'number', 'min-new-tokens': 'number', 'min-sentence-tokens': 'number',
    'no-repeat-sentences': 'boolean', stop: 'string',
  });
  if (typeof f.model !== 'string') throw new InvalidArgumentError(`--model <dir> is required\n\n${generateUsage}`);
  if (typeof f.prompt !== 'string') throw new InvalidArgumentError(`--prompt "text" is required\n\n${generateUsage}`);
  const sampling = {
    sample: f.sample === true, temperature: (f.temperature as number) ?? 1, topK: (f['top-k'] as number) ?? 0, topP: (f['top-p'] as number) ?? 1, seed: (f.seed as number) ?? 0,
  };
  // The controls of docs/generation.md (checked by generate()/stream(), with typed errors).
  const controls = {
    ...(f['repetition-penalty'] !== undefined ? { repetitionPenalty: f['repetition-penalty'] as number } : {}),
    ...(f['no-repeat-ngram-size'] !== undefined ? { noRepeatNgramSize: f['no-repeat-ngram-size'] as number } : {}),
    ...(typeof f.stop === 'string' ? { stop: f.stop } : {}),
  };
  const placement = { device: (f.device as 'cpu') ?? 'cpu', dtype: (f.dtype as 'float32') ?? 'float32' };
  if (SLLM.isSllmFolder(f.model)) {
    await using sllm = await SLLM.load(f.model, placement);
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.stdout.write(f.prompt);
    for await (const s of sllm.generate(f.prompt, {
      ...sampling, ...controls, maxTokens: (f['max-new-tokens'] as number) ?? 40, maxSentences: (f['max-sentences'] as number) ?? 16, signal: controller.signal,
      ...(f['min-sentence-tokens'] !== undefined ? { minSentenceTokens: f['min-sentence-tokens'] as number } : {}),
      ...(f['no-repeat-sentences'] === true ? { noRepeatSentences: true } : {}),
    })) {
      process.stdout.write(s.text);
    }
    process.stdout.write('\n');
    return 0;
  }
  if (!OPT.isOptFolder(f.model)) {
    throw new InvalidArgumentError(`${f.model} is not a model folder sentencevae can generate with (expected an SLLM folder, or a Hugging Face OPT folder: config.json + model.safetensors or pytorch_model.bin)`);
  }
  await using opt = await OPT.load(f.model, placement);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.stdout.write(f.prompt);
  for await (const e of opt.stream(f.prompt, {
    ...sampling, ...controls, maxNewTokens: (f['max-new-tokens'] as number) ?? 40, signal: controller.signal,
    ...(f['min-new-tokens'] !== undefined ? { minNewTokens: f['min-new-tokens'] as number } : {}),
  })) {
    process.stdout.write(e.text);
  }
  process.stdout.write('\n');
  return 0;
}

/** `sentencevae reconstruct --model <dir> --text "..."`: text → sentences → encode → decode → what the SentenceVAE makes of it. */
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { readModelConfig } from '../io/json.js';
import { SentenceVAE } from '../models/SentenceVAE.js';
import { SLLM } from '../models/SLLM.js';
import { parseFlags } from './args.js';
import { deviceFlag, dtypes, intFlag, oneOfFlag, requiredFlag, samplingFlagKinds, samplingFlags } from './flags.js';
import { inputPieces, readInputText } from './sentenceInput.js';
import { localFolder } from './localFolder.js';

export const reconstructUsage = `Usage: sentencevae reconstruct --model <dir> (--text "..." | --input <file>) [flags]

  --model <dir>          a SentenceVAE folder (train-vae's best/ or final/)
  --text <text>          the text; it is cut into sentences, each encoded into one vector and
                         decoded back
  --input <file>         read the text from a file (- for stdin)
  --jsonl                one JSON line per sentence: {"index", "input", "output", "exact"}
                         (default: the reconstructed text, sentences joined as in the input)
  --max-tokens N         most tokens decoded per sentence, eos included (default: the model's limit)
  --batch-size N         sentences per native call (default: 256)
  --sample               sample instead of greedy decoding
  --temperature X        > 0 (default: 1)
  --top-k N              (default: 0 = off)
  --top-p X              in [0, 1] (default: 1 = off)
  --seed N               (default: 0)
  --device <cpu|cuda|cuda:N|auto> (default: cpu)
  --dtype <float32|bfloat16|float16> (default: float32)

On stderr: how many sentences came back exactly.`;

export async function reconstruct(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(reconstructUsage);
    return 0;
  }
  const f = parseFlags(argv, {
    model: 'string', text: 'string', input: 'string', jsonl: 'boolean', 'max-tokens': 'number', 'batch-size': 'number', device: 'string', dtype: 'string',
    ...samplingFlagKinds,
  });
  // Every flag is checked before anything is read, loaded or printed.
  const modelFlag = requiredFlag(f, 'model', '<dir>', reconstructUsage);
  const sampling = samplingFlags(f);
  const maxTokens = intFlag(f, 'max-tokens', 1);
  const batchSize = intFlag(f, 'batch-size', 1) ?? 256;
  const placement = { device: deviceFlag(f) ?? 'cpu', dtype: oneOfFlag(f, 'dtype', dtypes) ?? 'float32' };
  const dir = await localFolder(modelFlag, 'model', 'SentenceVAE');
  if (!SentenceVAE.isSentenceVaeFolder(dir)) {
    throw new InvalidArgumentError(
      SLLM.isSllmFolder(dir)
        ? `${dir} is an SLLM: it continues text rather than reconstructing it (\`sentencevae generate --model ${dir} --prompt "..."\`)`
        : `${dir} is not a SentenceVAE folder (config.json with "architecture": "SentenceVAE" + model.safetensors)`,
    );
  }
  if (maxTokens !== undefined) {
    // Bounded by the model's own limit, read from its config before the weights are loaded.
    const limit = (await readModelConfig(dir, 'SentenceVAE')).raw.maxTokens;
    if (typeof limit === 'number') intFlag(f, 'max-tokens', 1, limit);
  }
  const text = await readInputText(f, reconstructUsage);

  await using vae = await SentenceVAE.load(dir, placement);
  const pieces = await inputPieces(vae.tokenizer, vae.config.maxTokens, text);
  const outputs: string[] = [];
  for (let start = 0; start < pieces.length; start += batchSize) {
    const group = pieces.slice(start, start + batchSize);
    const vectors = await vae.encode(group.map((p) => p.ids), { batchSize });
    outputs.push(...(await vae.decode(vectors, { ...sampling, ...(maxTokens !== undefined ? { maxTokens } : {}) })));
  }
  let exact = 0;
  pieces.forEach((p, i) => {
    if (outputs[i] === p.text) exact++;
  });
  if (f.jsonl === true) {
    process.stdout.write(pieces.map((p, i) => `${JSON.stringify({ index: i, input: p.text, output: outputs[i], exact: outputs[i] === p.text })}\n`).join(''));
  } else {
    process.stdout.write(`${outputs.join('')}\n`);
  }
  console.error(`[reconstruct] ${exact}/${pieces.length} sentence(s) reconstructed exactly`);
  return 0;
}

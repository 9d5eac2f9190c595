/** `sentencevae encode --model <dir> --text "..."`: one vector per sentence, as JSON lines. */
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { OPT } from '../models/OPT.js';
import { SentenceVAE } from '../models/SentenceVAE.js';
import { SLLM } from '../models/SLLM.js';
import { parseFlags } from './args.js';
import { deviceFlag, dtypes, intFlag, oneOfFlag, requiredFlag } from './flags.js';
import { inputPieces, readInputText, writeOutputFile } from './sentenceInput.js';
import { localFolder } from './localFolder.js';

export const encodeUsage = `Usage: sentencevae encode --model <dir> (--text "..." | --input <file>) [flags]

  --model <dir>          a SentenceVAE folder (train-vae's best/ or final/), or an SLLM folder
                         (its SentenceVAE encoder)
  --text <text>          the text; it is cut into sentences (segments) as the models read it
  --input <file>         read the text from a file (- for stdin)
  --out <file>           write the JSON lines to this file (whole or not at all) instead of stdout
  --batch-size N         sentences per native call (default: 256)
  --device <cpu|cuda|cuda:N|auto> (default: cpu)
  --dtype <auto|float32|bfloat16|float16> (default: auto = the folder's precision: float32, or
                         int8 for an SLLM folder written by \`sentencevae quantize\`)

One JSON line per sentence: {"index": 0, "text": "It was late,", "vector": [ ...hidden numbers ]}.
A sentence over the model's token limit is split into pieces, one line each.`;

export async function encode(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(encodeUsage);
    return 0;
  }
  const f = parseFlags(argv, { model: 'string', text: 'string', input: 'string', out: 'string', 'batch-size': 'number', device: 'string', dtype: 'string' });
  // Every flag is checked before anything is read, loaded or printed.
  const modelFlag = requiredFlag(f, 'model', '<dir>', encodeUsage);
  const batchSize = intFlag(f, 'batch-size', 1) ?? 256;
  const placement = { device: deviceFlag(f) ?? 'cpu', dtype: oneOfFlag(f, 'dtype', ['auto', ...dtypes]) ?? 'auto' };
  const out = typeof f.out === 'string' ? f.out : undefined;
  const dir = await localFolder(modelFlag, 'model', 'SentenceVAE');
  const isVae = SentenceVAE.isSentenceVaeFolder(dir);
  if (!isVae && !SLLM.isSllmFolder(dir)) {
    throw new InvalidArgumentError(
      OPT.isOptFolder(dir)
        ? `${dir} is an OPT language model: it has no sentence encoder (graft one with \`sentencevae graft\`, or encode with a SentenceVAE folder)`
        : `${dir} is not a SentenceVAE or SLLM folder (config.json with "architecture": "SentenceVAE" or "SLLM" + model.safetensors)`,
    );
  }
  const text = await readInputText(f, encodeUsage);

  const lines: string[] = [];
  if (isVae) {
    await using vae = await SentenceVAE.load(dir, placement);
    const pieces = await inputPieces(vae.tokenizer, vae.config.maxTokens, text);
    const vectors = await vae.encode(pieces.map((p) => p.ids), { batchSize });
    pieces.forEach((p, i) => lines.push(line(i, p.text, vectors, vae.config.hidden)));
  } else {
    await using sllm = await SLLM.load(dir, placement);
    const pieces = await inputPieces(sllm.tokenizer, sllm.config.svae.maxTokens, text);
    const hidden = sllm.config.svae.hidden;
    for (let start = 0; start < pieces.length; start += batchSize) {
      const group = pieces.slice(start, start + batchSize);
      const vectors = await sllm.encode(group.map((p) => p.ids));
      group.forEach((p, k) => lines.push(line(start + k, p.text, vectors, hidden, k)));
    }
  }
  const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  if (out === undefined) process.stdout.write(body);
  else {
    await writeOutputFile(out, body);
    console.error(`[encode] ${lines.length} sentence vector(s) -> ${out}`);
  }
  return 0;
}

function line(index: number, text: string, vectors: Float32Array, hidden: number, row = index): string {
  return JSON.stringify({ index, text, vector: Array.from(vectors.subarray(row * hidden, (row + 1) * hidden)) });
}

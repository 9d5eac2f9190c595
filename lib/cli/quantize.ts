/**
 * `sentencevae quantize <in> <out>`: writes an int8 copy of an OPT or SLLM folder. The library's
 * loaders default to the checkpoint's precision (a float folder loads as float32, trainable), so
 * quantizing once is how a folder becomes int8 for every later default load.
 */
import { existsSync, realpathSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';

import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { OPT } from '../models/OPT.js';
import { SLLM } from '../models/SLLM.js';
import { SentenceVAE } from '../models/SentenceVAE.js';
import { invalid } from '../validate.js';
import { parseFlags } from './args.js';
import { localFolder } from './localFolder.js';

export const quantizeUsage = `Usage: sentencevae quantize <in> <out> [--force]

Writes an int8 copy of a model folder: weight-only int8 in blocks of 32 with one float32 scale
each (docs/architecture.md, "int8 weights"), about a quarter of float32's weight bytes.
OPT.load / SLLM.load (dtype 'auto', their default), generate and serve load the copy as int8.

  <in>        an SLLM folder, or a Hugging Face OPT folder (config.json + weights [+ tokenizer]);
              hf:ORG/NAME[@revision] is fetched through the Hugging Face cache first
  <out>       the folder written (it must not exist, unless --force); written next to its place
              and renamed in, so it is never half-written
  --force     replace <out> when it exists

int8 runs on the CPU and for inference only: keep <in> to train further or to run on CUDA.
A SentenceVAE folder has no int8 form.`;

/** Sum of the sizes of the weight files in `dir`, for the summary line. */
async function weightBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of ['model.safetensors', 'pytorch_model.bin']) {
    const s = await stat(join(dir, f)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The real path where it exists (symlinks followed), else the absolute one. */
const real = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/** True when `inner` is `outer` or lies inside it. */
const within = (inner: string, outer: string) => {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

export async function quantize(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(quantizeUsage);
    return 0;
  }
  const positional = argv.filter((a) => !a.startsWith('--'));
  const f = parseFlags(argv.filter((a) => a.startsWith('--')), { force: 'boolean' });
  if (positional.length !== 2) {
    throw new InvalidArgumentError(`Expected two folders, <in> and <out>, for quantize but received ${positional.length === 0 ? 'none' : positional.map((p) => `'${p}'`).join(', ')}\n\n${quantizeUsage}`);
  }
  const [inArg, outArg] = positional as [string, string];
  if (outArg === '') invalid('a folder path', '<out>', outArg);
  const force = f.force === true;
  // Absolute and without a trailing slash: the temporary and backup names below are siblings of
  // <out>, never folders inside it ('q/' + '.tmp-1' would land in q/ and then be renamed into itself).
  const out = resolve(outArg);
  if (existsSync(out) && !force) invalid('a folder that does not exist yet (--force replaces it)', '<out>', outArg);
  const dir = await localFolder(inArg, '<in>');
  // --force removes the old <out>: never when that would remove <in> (the float checkpoint is what
  // training and CUDA need).
  if (within(real(dir), real(out))) invalid('a folder that neither is <in> nor contains it', '<out>', outArg);
  if (SentenceVAE.isSentenceVaeFolder(dir)) {
    invalid('an SLLM folder or a Hugging Face OPT folder (a SentenceVAE has no int8 form: int8 is for OPT and SLLM generation)', '<in>', inArg);
  }
  const isSllm = SLLM.isSllmFolder(dir);
  if (!isSllm && !OPT.isOptFolder(dir)) {
    invalid('a model folder sentencevae can quantize (an SLLM folder, or a Hugging Face OPT folder: config.json + model.safetensors or pytorch_model.bin)', '<in>', inArg);
  }
  // The copy is written beside <out> and renamed in: an interrupted run leaves <out> as it was.
  const tmp = `${out}.tmp-${process.pid}`;
  const old = `${out}.old-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  let parameters: number;
  try {
    await using model = isSllm ? await SLLM.load(dir, { dtype: 'int8' }) : await OPT.load(dir, { dtype: 'int8' });
    parameters = model.parameterCount;
    await model.save(tmp);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined); // e.g. a full disk: no tmp left behind
    throw error;
  }
  const replacing = existsSync(out);
  if (replacing) await rename(out, old);
  try {
    await rename(tmp, out);
  } catch (error) {
    // Put the old <out> back: a failed swap must not lose the folder the user had.
    if (replacing) await rename(old, out).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  // The new <out> is in place: failing to delete the old copy is worth a warning, not a failure.
  if (replacing) await rm(old, { recursive: true, force: true }).catch((error: Error) => console.error(`[quantize] warning: could not remove ${old}: ${error.message}`));
  console.error(`[quantize] ${dir} (${isSllm ? 'SLLM' : 'OPT'}, ${parameters.toLocaleString('en-US')} parameters, ${mb(await weightBytes(dir))}) -> ${outArg} (int8, ${mb(await weightBytes(out))})`);
  return 0;
}

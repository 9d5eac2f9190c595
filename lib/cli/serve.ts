/** `sentencevae serve --model <dir>`: an OpenAI-compatible HTTP server over a continuous-batching Engine. */
import { basename, resolve } from 'node:path';

import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { OPT } from '../models/OPT.js';
import { SLLM } from '../models/SLLM.js';
import { Engine } from '../serve/index.js';
import { createServer } from '../serve/http/index.js';
import { parseFlags } from './args.js';
import { deviceFlag, inferenceDtypeFlag, intFlag, numFlag } from './flags.js';
import { rejectSentenceVae } from './modelFolder.js';
import { hubRepoName, localFolder } from './localFolder.js';

export const serveUsage = `Usage: sentencevae serve --model <dir> [flags]

  --model <dir>          an SLLM folder, or a Hugging Face OPT folder (config.json + weights + tokenizer)
  --host <addr>          address to bind (default: 127.0.0.1; 0.0.0.0 exposes it to the network)
  --port N               (default: 8080; 0 = any free port, printed on start)
  --slots N              requests generated together, the batch size (default: 16)
  --max-queue N          requests waiting for a slot before 429 (default: 256)
  --api-key KEY          require "Authorization: Bearer KEY" on /v1/* (or set SENTENCEVAE_API_KEY)
  --model-name NAME      the model id clients send (default: the folder's name)
  --max-tokens-limit N   largest max_tokens a request may ask for (default: 4096)
  --max-prompt-tokens N  longest prompt in tokens (default: the model's context)
  --timeout-ms N         end a request this long after it arrived, queue included (default: none)
  --grace-ms N           on SIGTERM/SIGINT, how long in-flight requests may finish (default: 10000)
  --device <cpu|cuda|cuda:N|auto> (default: cpu)
  --dtype <auto|float32|bfloat16|float16|int8> (default: auto = int8 on the CPU, float32 on CUDA)

Endpoints: POST /v1/completions, POST /v1/chat/completions, GET /v1/models, GET /health, GET /metrics.
SIGTERM or SIGINT: new requests get 503, in-flight ones finish (or are cut after --grace-ms), exit 0;
a second signal cuts them at once.`;

export async function serve(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(serveUsage);
    return 0;
  }
  const f = parseFlags(argv, {
    model: 'string', host: 'string', port: 'number', slots: 'number', 'max-queue': 'number', 'api-key': 'string', 'model-name': 'string',
    'max-tokens-limit': 'number', 'max-prompt-tokens': 'number', 'timeout-ms': 'number', 'grace-ms': 'number', device: 'string', dtype: 'string',
  });
  if (typeof f.model !== 'string') throw new InvalidArgumentError(`--model <dir> is required\n\n${serveUsage}`);
  // Every flag is checked, in its own name, before the model is loaded.
  intFlag(f, 'port', 0, 65535);
  intFlag(f, 'slots', 1, 4096);
  intFlag(f, 'max-queue', 0, 2 ** 31);
  intFlag(f, 'max-tokens-limit', 1);
  intFlag(f, 'max-prompt-tokens', 1);
  numFlag(f, 'timeout-ms', 1, 2 ** 31 - 1);
  numFlag(f, 'grace-ms', 0);
  const apiKey = (f['api-key'] as string | undefined) ?? process.env.SENTENCEVAE_API_KEY;
  const device = deviceFlag(f) ?? 'cpu';
  const placement = { device, dtype: inferenceDtypeFlag(f, device) };
  // A snapshot folder is named by a commit hash: an hf: model is named after its repository.
  const repoName = hubRepoName(f.model, 'model');
  const dir = await localFolder(f.model, 'model');
  rejectSentenceVae(dir, 'serve');
  let model: SLLM | OPT;
  if (SLLM.isSllmFolder(dir)) model = await SLLM.load(dir, placement);
  else if (OPT.isOptFolder(dir)) model = await OPT.load(dir, placement);
  else throw new InvalidArgumentError(`${dir} is not a model folder sentencevae can serve (expected an SLLM folder, or a Hugging Face OPT folder: config.json + model.safetensors or pytorch_model.bin)`);
  try {
    const engine = await Engine.create(model, {
      ...(f.slots !== undefined ? { slots: f.slots as number } : {}),
      ...(f['max-queue'] !== undefined ? { maxQueue: f['max-queue'] as number } : {}),
      ...(f['max-prompt-tokens'] !== undefined ? { maxPromptTokens: f['max-prompt-tokens'] as number } : {}),
      ...(f['timeout-ms'] !== undefined ? { defaultTimeoutMs: f['timeout-ms'] as number } : {}),
    });
    const modelName = (f['model-name'] as string | undefined) ?? repoName ?? basename(resolve(dir));
    const server = createServer(engine, {
      modelName,
      ...(apiKey !== undefined && apiKey !== '' ? { apiKey } : {}),
      ...(f['max-tokens-limit'] !== undefined ? { maxTokensLimit: f['max-tokens-limit'] as number } : {}),
      ...(f['grace-ms'] !== undefined ? { graceMs: f['grace-ms'] as number } : {}),
    });
    // Signals wait from the start, so one arriving while the server binds is not lost.
    const stop = new Promise<string>((done) => {
      const first = (signal: string) => {
        process.off('SIGTERM', first);
        process.off('SIGINT', first);
        // A second signal: stop waiting for in-flight requests.
        const cut = () => void engine.close({ graceMs: 0 });
        process.once('SIGTERM', cut);
        process.once('SIGINT', cut);
        done(signal);
      };
      process.on('SIGTERM', first);
      process.on('SIGINT', first);
    });
    const address = await server.listen({ host: (f.host as string | undefined) ?? '127.0.0.1', port: (f.port as number | undefined) ?? 8080 });
    const s = engine.stats();
    console.log(`sentencevae serve: ${modelName} (${s.kind}, ${model.dtype} on ${model.device}, ${s.slots} slots, queue ${s.maxQueue}) listening on ${address}`);
    const signal = await stop;
    console.log(`sentencevae serve: ${signal}: draining (busy ${engine.stats().busySlots}, queued ${engine.stats().queued})`);
    await server.close();
    console.log('sentencevae serve: stopped');
    return 0;
  } finally {
    model.dispose();
  }
}

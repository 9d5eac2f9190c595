#!/usr/bin/env node
/**
 * The `sentencevae` command line. Each command imports what it needs lazily, so `build` and
 * `help` work before the native addon exists.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { packageRoot } from '../native/loader.js';

type Command = (argv: string[]) => Promise<number>;

const usage = `Usage: sentencevae <command> [options]
       sentencevae <command> --help    a command's flags
       sentencevae --version

Commands:
  info            what the native layer is built with (LibTorch, CUDA, threads, BLAS)
  build [--force] build the native addon (needed when npm skipped the install script)
  train-vae       train a SentenceVAE (sentencevae train-vae --help)
  graft           graft a SentenceVAE onto a Hugging Face OPT folder -> an SLLM (sentencevae graft --help)
  train-sllm      train an SLLM on paragraphs (sentencevae train-sllm --help)
  quantize        an int8 copy of an SLLM or OPT folder, for fast CPU inference (sentencevae quantize --help)
  generate        generate text with an SLLM or OPT folder (sentencevae generate --help)
  eval            held-out perplexity of an SLLM / OPT over the same tokens (sentencevae eval --help)
  encode          a SentenceVAE's sentence vectors as JSON lines (sentencevae encode --help)
  reconstruct     what a SentenceVAE makes of each sentence: encode, then decode (sentencevae reconstruct --help)
  serve           OpenAI-compatible HTTP server with continuous batching (sentencevae serve --help)
  launch          data-parallel training: start N workers (sentencevae launch --help)
  help [command]  this text, or a command's flags
`;

const infoUsage = `Usage: sentencevae info

Prints, as JSON, what the native layer is built with: LibTorch version, CUDA, threads, BLAS.`;

const buildUsage = `Usage: sentencevae build [--force]

Builds the native addon against the LibTorch found on this machine (LIBTORCH / Torch_DIR, the
PyTorch of python3, or the system's). Needed only when npm skipped the package's install script.
  --force                rebuild from scratch`;

/** The package's version, from its package.json (no addon needed). */
function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

const wantsHelp = (argv: readonly string[]) => argv.includes('--help') || argv.includes('-h');

const commands: Record<string, Command> = {
  async info(argv) {
    if (wantsHelp(argv)) {
      console.log(infoUsage);
      return 0;
    }
    if (argv.length > 0) throw new InvalidArgumentError(`Unknown flag ${argv[0]}: info takes no flags`);
    const { info } = await import('../runtime.js');
    const { buildConfig, ...rest } = info();
    console.log(JSON.stringify(rest, null, 2));
    return 0;
  },
  async build(argv) {
    if (wantsHelp(argv)) {
      console.log(buildUsage);
      return 0;
    }
    const r = spawnSync(process.execPath, [join(packageRoot, 'scripts', 'install.mjs'), ...argv], { stdio: 'inherit', cwd: packageRoot });
    return r.status ?? 1;
  },
  async 'train-vae'(argv) {
    const { trainVae } = await import('./trainVae.js');
    return trainVae(argv);
  },
  async graft(argv) {
    const { graft } = await import('./graft.js');
    return graft(argv);
  },
  async 'train-sllm'(argv) {
    const { trainSllm } = await import('./trainSllm.js');
    return trainSllm(argv);
  },
  async eval(argv) {
    const { evaluate } = await import('./evaluate.js');
    return evaluate(argv);
  },
  async quantize(argv) {
    const { quantize } = await import('./quantize.js');
    return quantize(argv);
  },
  async generate(argv) {
    const { generate } = await import('./generate.js');
    return generate(argv);
  },
  async serve(argv) {
    const { serve } = await import('./serve.js');
    return serve(argv);
  },
  async launch(argv) {
    const { launch } = await import('./launch.js');
    return launch(argv);
  },
  async encode(argv) {
    const { encode } = await import('./encode.js');
    return encode(argv);
  },
  async reconstruct(argv) {
    const { reconstruct } = await import('./reconstruct.js');
    return reconstruct(argv);
  },
  async help(argv) {
    // `help <command>` is `<command> --help`.
    const [topic] = argv;
    if (topic !== undefined && topic !== 'help' && !topic.startsWith('-')) {
      const command = commands[topic];
      if (!command) {
        process.stderr.write(`sentencevae: unknown command '${topic}'\n\n${usage}`);
        return 2;
      }
      return command(['--help']);
    }
    process.stdout.write(usage);
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the help goes to stderr and the exit code says so.
    process.stderr.write(usage);
    return 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(version());
    return 0;
  }
  const command = commands[name === '--help' || name === '-h' ? 'help' : name];
  if (!command) {
    process.stderr.write(`sentencevae: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  try {
    // hf:ORG/NAME model references become local folders inside each command, after its flags
    // are checked (lib/cli/localFolder.ts).
    return await command(rest);
  } catch (error) {
    process.stderr.write(`sentencevae ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

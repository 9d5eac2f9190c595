#!/usr/bin/env node
/**
 * The `sentencevae` command line. Each command imports what it needs lazily, so `build` and
 * `help` work before the native addon exists.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../native/loader.js';

type Command = (argv: string[]) => Promise<number>;

const usage = `Usage: sentencevae <command> [options]

Commands:
  info            what the native layer is built with (LibTorch, CUDA, threads, BLAS)
  build [--force] build the native addon (needed when npm skipped the install script)
  train-vae       train a SentenceVAE (sentencevae train-vae --help)
  graft           graft a SentenceVAE onto a Hugging Face OPT folder -> an SLLM (sentencevae graft --help)
  train-sllm      train an SLLM on paragraphs (sentencevae train-sllm --help)
  generate        generate text with an SLLM or OPT folder (sentencevae generate --help)
  eval            held-out perplexity of an SLLM / OPT over the same tokens (sentencevae eval --help)
  serve           OpenAI-compatible HTTP server with continuous batching (sentencevae serve --help)
  launch          data-parallel training: start N workers (sentencevae launch --help)
  help            this text
`;

const commands: Record<string, Command> = {
  async info() {
    const { info } = await import('../runtime.js');
    const { buildConfig, ...rest } = info();
    console.log(JSON.stringify(rest, null, 2));
    return 0;
  },
  async build(argv) {
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
  async help() {
    process.stdout.write(usage);
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  const command = commands[name === '--help' || name === '-h' ? 'help' : name];
  if (!command) {
    process.stderr.write(`sentencevae: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (error) {
    process.stderr.write(`sentencevae ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));

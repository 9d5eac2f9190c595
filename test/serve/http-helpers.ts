import type { AddressInfo } from 'node:net';

import OpenAI from 'openai';

import { createServer, OPT, SLLM, Tokenizer, type ServerOptions } from '../../lib/index.js';
import { Engine } from '../../lib/serve/index.js';
import type { EngineOptions } from '../../lib/serve/types.js';
import { testDevice } from '../helpers/device.js';

/** A tiny SLLM with random weights (the 4k-token tokenizer keeps it small). */
export const tinySllm = () => SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2 }, device: testDevice, seed: 3 });

/** A tiny OPT with random weights over the same 4k-token tokenizer. */
export async function tinyOpt(): Promise<OPT> {
  const tokenizer = await Tokenizer.builtin('gpt2-opt-4k');
  const vocabSize = Math.ceil(tokenizer.vocabSize / 8) * 8;
  return OPT.create({
    vocabSize, hidden: 64, ffn: 256, layers: 2, heads: 4, maxPositions: 2048, wordEmbedProjDim: 64, preNorm: true, finalNorm: true,
    padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId,
  }, { tokenizer, device: testDevice, seed: 3 });
}

export interface Served extends AsyncDisposable {
  engine: Engine;
  url: string;
  model: string;
  client: OpenAI;
  close(): Promise<void>;
}

/** Engine + server on 127.0.0.1 (any free port) + an OpenAI client pointed at it (no retries: a 429 must be seen). */
export async function serve(model: SLLM | OPT, engineOptions: EngineOptions = {}, serverOptions: ServerOptions = {}): Promise<Served> {
  const engine = await Engine.create(model, engineOptions);
  const name = model instanceof SLLM ? 'tiny-sllm' : 'tiny-opt';
  const app = createServer(engine, { modelName: name, graceMs: 0, ...serverOptions });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: serverOptions.apiKey ?? 'none', maxRetries: 0, timeout: 120_000 });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    model.dispose();
  };
  return { engine, url, model: name, client, close, [Symbol.asyncDispose]: close };
}

/** Reads a Prometheus text exposition into name{labels} -> value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** POSTs a raw body (for the bad requests a typed client cannot send). */
export async function post(url: string, path: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await r.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the assertion on `json` shows it
  }
  return { status: r.status, json, text };
}

/** The prompts of the concurrency tests: different lengths, so rows differ in the batch. */
export const prompts = Array.from({ length: 16 }, (_, i) => `${['The jury met.', 'It rained all day, and then', 'Hello there!', 'One, two, three.'][i % 4]} ${'More words here. '.repeat(i % 3)}Row ${i}.`);

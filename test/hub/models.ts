/** Tiny model folders for the hub tests, made by our own save() (and the OPT fixture). */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SentenceVAE, SLLM } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';

export interface TinyModels {
  root: string;
  /** OPT with model.safetensors AND pytorch_model.bin (+ reference.safetensors, which loading never needs). */
  opt: string;
  /** OPT with pytorch_model.bin only. */
  optBin: string;
  sllm: string;
  svae: string;
}

export async function makeTinyModels(): Promise<TinyModels> {
  const root = mkdtempSync(join(tmpdir(), 'svae-hub-models-'));
  const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
  const opt = join(root, 'opt');
  const optBin = join(root, 'opt-bin');
  mkdirSync(opt);
  mkdirSync(optBin);
  for (const f of readdirSync(fixture)) {
    copyFileSync(join(fixture, f), join(opt, f));
    if (f !== 'model.safetensors' && f !== 'reference.safetensors') copyFileSync(join(fixture, f), join(optBin, f));
  }
  const sllm = join(root, 'sllm');
  const s = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2 }, seed: 7 });
  try {
    await s.save(sllm);
  } finally {
    s.dispose();
  }
  const svae = join(root, 'svae');
  const v = await SentenceVAE.create({ preset: 'tiny', seed: 5 });
  try {
    await v.save(svae);
  } finally {
    v.dispose();
  }
  return { root, opt, optBin, sllm, svae };
}

/** A fresh, empty cache folder. */
export const freshCache = (): string => mkdtempSync(join(tmpdir(), 'svae-hub-cache-'));

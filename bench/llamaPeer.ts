/**
 * node-llama-cpp as a peer, installed on demand into bench/.peers (git-ignored; not a
 * devDependency: with its CUDA packages it weighs ~730 MB, so only the CPU binaries of this
 * platform are installed: `--omit=optional` plus @node-llama-cpp/<platform>). Pinned to 3.21.1
 * (newer releases may not install on this machine's Node). Loaded by path, so nothing in lib/
 * or the package's dependencies knows about it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { packageRoot } from '../lib/native/loader.js';

export const peerVersion = '3.21.1';
export const peersDir = join(packageRoot, 'bench', '.peers');

// The few parts of node-llama-cpp's API the bench uses (structural: no type dependency).
export interface PeerSequence {
  evaluate(tokens: number[], options?: { temperature?: number }): AsyncGenerator<number>;
  clearHistory(): Promise<void>;
}
export interface PeerContext {
  getSequence(): PeerSequence;
  dispose(): Promise<void>;
}
export interface PeerModel {
  createContext(options: { contextSize: number; threads: number; batchSize?: number; sequences?: number }): Promise<PeerContext>;
  dispose(): Promise<void>;
}
export interface PeerLlama {
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<PeerModel>;
  readonly buildType?: string;
  readonly cpuMathCores?: number;
}
interface PeerModule {
  getLlama(options: Record<string, unknown>): Promise<PeerLlama>;
}

const platformPackage = () => `@node-llama-cpp/${process.platform}-${process.arch}`;

/** Installs node-llama-cpp (CPU binaries only) into bench/.peers unless it is there; null when that fails. */
export function ensurePeer(): string | null {
  const entry = join(peersDir, 'node_modules', 'node-llama-cpp', 'dist', 'index.js');
  if (existsSync(entry)) return entry;
  mkdirSync(peersDir, { recursive: true });
  if (!existsSync(join(peersDir, 'package.json'))) writeFileSync(join(peersDir, 'package.json'), '{ "name": "sentencevae-bench-peers", "private": true }\n');
  console.error(`[peers] installing node-llama-cpp@${peerVersion} (CPU binaries only) into ${peersDir} ...`);
  const r = spawnSync('npm', ['install', '--omit=optional', '--no-audit', '--no-fund', `node-llama-cpp@${peerVersion}`, `${platformPackage()}@${peerVersion}`], { cwd: peersDir, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(entry)) {
    console.error(`[peers] installing node-llama-cpp failed (exit ${r.status}): the peer rows are skipped`);
    return null;
  }
  return entry;
}

/** llama.cpp on the CPU (prebuilt binaries only, never a local build), quiet. */
export async function loadPeer(): Promise<PeerLlama | null> {
  const entry = ensurePeer();
  if (!entry) return null;
  const mod = (await import(pathToFileURL(entry).href)) as PeerModule;
  return mod.getLlama({ gpu: false, build: 'never', logLevel: 'error', progressLogs: false });
}

/**
 * Tokens per second of one generation: `prompt` evaluated, then `total` tokens greedily
 * (prefill included, as for our models). Returns the rate.
 */
export async function peerGenerate(seq: PeerSequence, prompt: number[], total: number): Promise<number> {
  try {
    let n = 0;
    const t0 = performance.now();
    for await (const _ of seq.evaluate(prompt, { temperature: 0 })) {
      void _;
      if (++n >= total) break;
    }
    return total / ((performance.now() - t0) / 1000);
  } finally {
    await seq.clearHistory();
  }
}

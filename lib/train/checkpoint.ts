import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { FormatError } from '../errors/FormatError.js';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../io/safetensors.js';
import type { DataPosition } from '../data/position.js';
import type { Tensor } from '../tensor/Tensor.js';
import type { TrainingSnapshot } from './TrainableModel.js';
import { expectString } from '../validate.js';

/** Everything besides tensors that an exact resume needs. */
export interface TrainerState {
  format: 1;
  /** Optimizer updates done (skipped steps not counted). */
  step: number;
  position: DataPosition;
  tokensSeen: number;
  skippedSteps: number;
  consecutiveSkips: number;
  elapsedSeconds: number;
  best: { value: number; step: number } | null;
  adamStep: number;
  lossScale: number;
}

export const checkpointFile = (out: string) => join(out, 'checkpoint.safetensors');

/**
 * Writes model weights (`model.*`), optimizer moments, EMA and RNG state (as the model names
 * them) and the trainer state (JSON metadata) into one safetensors file, atomically: a crash or
 * kill mid-write leaves the previous checkpoint as it was.
 */
export async function writeCheckpoint(out: string, model: Map<string, Tensor>, snapshot: TrainingSnapshot, state: TrainerState): Promise<void> {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of model) tensors.set(`model.${k}`, t);
  for (const [k, t] of snapshot.tensors) tensors.set(k, t);
  await saveSafetensors(checkpointFile(out), tensors, { trainer: JSON.stringify(state) });
}

export interface LoadedCheckpoint {
  state: TrainerState;
  model: Map<string, Tensor>;
  snapshot: TrainingSnapshot;
}

export async function readCheckpoint(out: string): Promise<LoadedCheckpoint | undefined> {
  expectString(out, 'out');
  const path = checkpointFile(out);
  if (!existsSync(path)) return undefined;
  const header = await readSafetensorsHeader(path);
  let state: TrainerState;
  try {
    state = JSON.parse(header.metadata.trainer ?? '') as TrainerState;
  } catch {
    throw new FormatError(`${path}: no trainer state in the metadata`, { path });
  }
  if (state.format !== 1) throw new FormatError(`${path}: unknown checkpoint format ${String(state.format)}`, { path });
  const all = await loadSafetensors(path);
  const model = new Map<string, Tensor>();
  const rest = new Map<string, Tensor>();
  for (const [k, t] of all) (k.startsWith('model.') ? model.set(k.slice(6), t) : rest.set(k, t));
  return { state, model, snapshot: { tensors: rest, adamStep: state.adamStep, lossScale: state.lossScale } };
}

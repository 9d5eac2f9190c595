import type { EngineHandle, EngineModelKind, EngineRequest, EngineStats, StepInfo } from '../types.js';

/**
 * What the HTTP layer needs of an engine: exactly the public surface of `Engine` (lib/serve), kept
 * as a structural type so the HTTP layer depends on the engine's contract, not on its class.
 */
export interface ServableEngine {
  readonly kind: EngineModelKind;
  readonly modelName: string;
  submit(request: EngineRequest): EngineHandle;
  countTokens(text: string): Promise<number>;
  stats(): EngineStats;
  close(options?: { graceMs?: number }): Promise<void>;
  on(event: 'step', listener: (info: StepInfo) => void): unknown;
  off(event: 'step', listener: (info: StepInfo) => void): unknown;
}

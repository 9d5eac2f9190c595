export { Engine } from './Engine.js';
export type {
  EngineModelKind, EngineRequest, EngineChunk, FinishReason, EngineResult, EngineHandle, StepInfo, EngineStats, EngineOptions,
} from './types.js';

// The public declarations use Node's types (Buffer, AbortSignal, streams, fastify's server):
// @types/node is a dependency, and this directive (kept in index.d.ts) makes a consumer's
// compiler load it even under "types": [].
/// <reference types="node" preserve="true" />
/**
 * sentencevae: sentence-level language models for Node.js (SentenceVAE + grafted OPT over LibTorch).
 * @packageDocumentation
 */
export * from './errors/index.js';
export { Tensor, type Device, type TensorOptions, type TensorFromOptions } from './tensor/Tensor.js';
export { type DType, type TensorData, dtypes } from './tensor/dtypes.js';
export { matmul, linear, relu, softmax, reshape, randn, focalLoss, type RandnOptions } from './tensor/ops.js';
export { info, setThreads, getThreads, resolveDevice, type RuntimeInfo } from './runtime.js';
export { segment, segmentStream, defaultCutMarks, type SegmentOptions } from './text/segment.js';
export { Tokenizer, builtinTokenizers, type BuiltinTokenizer, type SpecialIds, type EncodeOptions, type DecodeOptions } from './text/Tokenizer.js';
export { splitIds, tokenizeSegments, tokenizeText, type SentencePiece, type PieceOptions } from './text/pieces.js';
export {
  padSentences, padParagraphs, bucketBatches, paddingRatio,
  type SentenceBatch, type ParagraphBatch, type PadOptions, type PadParagraphOptions, type BucketOptions,
} from './text/batch.js';
export {
  readCorpus, readPlainText, readJsonl, splitOf, filterSplit,
  type Paragraph, type CorpusOptions, type PlainTextOptions, type JsonlOptions, type Split, type SplitOptions,
} from './data/corpus.js';
export { readBrown, detokenizeBrown, brownSentences, brownParagraphs } from './data/brown.js';
export { readLines, type Line } from './data/lines.js';
export { type DataPosition } from './data/position.js';
export {
  SentenceDataset, type SentenceBatches, type SentenceDatasetOptions, type FromCorpusOptions, type SentenceBatchOptions, type IndexedSentenceBatch,
} from './data/SentenceDataset.js';
export { ParagraphDataset, type ParagraphBatches, type ParagraphDatasetOptions, type IndexedParagraphBatch } from './data/ParagraphDataset.js';
export { SentenceVAE, type CreateSentenceVAEOptions, type LoadSentenceVAEOptions, type GenerateOptions, type EvaluateOptions, type Evaluation, type TrainStepOptions, type StepResult, type ModelDType } from './models/SentenceVAE.js';
export { type InferenceDType, type LoadDType } from './models/inferenceDType.js';
export { presets, presetNames, type PresetName, type SentenceVAEConfig, type Preset } from './models/svaeConfig.js';
export { recipeShape } from './models/svaeConfig.js';
export { endsMidSentence } from './models/partialSentence.js';
export { readSafetensorsHeader, loadSafetensors, saveSafetensors, type SafetensorsHeader, type SafetensorsEntry } from './io/safetensors.js';
export { Trainer, type TrainerOptions, type RunOptions, type RunResult, type StepReport, type EvalReport } from './train/Trainer.js';
export { learningRate, type ScheduleOptions } from './train/schedule.js';
export { timedLearningRate, type TimedScheduleOptions } from './train/timedSchedule.js';
export { DistributedContext, type DistributedOptions, type DistributedBackend, type NamedTensors } from './distributed/DistributedContext.js';
export { placementFromEnvironment, type DistributedPlacement } from './distributed/environment.js';
export { paperRecipe, paperLearningRate, recipeTrainerDefaults, recipeNames, type RecipeName } from './train/recipe.js';
export { type TrainableModel, type BatchSource, type TrainingSetup, type TrainingSnapshot } from './train/TrainableModel.js';
export { readCheckpoint, writeCheckpoint, checkpointFile, type TrainerState } from './train/checkpoint.js';
export { writeCurves, writeComparison, type Series } from './train/curves.js';
export { MetricsLog, type MetricRecord } from './train/metrics.js';
export { OPT, type LoadOptOptions, type OptGenerateOptions, type TokenEvent, type ForwardInput } from './models/OPT.js';
export { readOptConfig, type OptConfig } from './models/optConfig.js';
export { type SamplingOptions, type GenerationControlOptions } from './models/sampling.js';
export { readOptWeights, type OptWeights } from './models/optWeights.js';
export { loadTorchCheckpoint } from './io/torchCheckpoint.js';
export { SLLM, type SllmConfig, type SllmFreeze, type CreateSllmOptions, type FromOptOptions, type LoadSllmOptions, type SllmGenerateOptions, type SentenceEvent, type SllmEvaluation, type GenerationStats, type SllmStopLoss, defaultStopLoss } from './models/SLLM.js';
export { TokenBatches, type TokenBatch } from './data/tokenRows.js';
export { createServer, chatPrompt, chatStops, RequestError, type ServerOptions, type ServableEngine, type ChatMessage, type OpenAiErrorBody } from './serve/http/index.js';
export {
  Engine, type EngineModelKind, type EngineRequest, type EngineChunk, type FinishReason, type EngineResult, type EngineHandle,
  type StepInfo, type EngineStats, type EngineOptions,
} from './serve/index.js';
export { resolvePretrained } from './io/hub/resolve.js';
export { type HubOptions, type HubProgressEvent } from './io/hub/options.js';

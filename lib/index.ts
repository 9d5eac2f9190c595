/**
 * sentencevae: sentence-level language models for Node.js (SentenceVAE + grafted OPT over LibTorch).
 * @packageDocumentation
 */
export * from './errors/index.js';
export { Tensor, type Device, type TensorOptions, type TensorFromOptions } from './tensor/Tensor.js';
export { type DType, type TensorData, dtypes } from './tensor/dtypes.js';
export { matmul, linear, relu, softmax, reshape, randn, type RandnOptions } from './tensor/ops.js';
export { info, setThreads, getThreads, resolveDevice, type RuntimeInfo } from './runtime.js';

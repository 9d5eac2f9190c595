// StopText moved to lib/text (OPT and SLLM generation use it too); kept here for the engine's imports.
export { StopText } from '../text/stopText.js';

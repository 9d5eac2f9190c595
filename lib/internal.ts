/**
 * Internal readers and file-system doors: used by the library itself, its tests, benchmarks and
 * the fuzzer (scripts/fuzz), but not part of the public API. The package's `exports` map offers
 * only lib/index.ts, so a consumer cannot import this module; keeping these names out of the
 * root keeps the public surface (and its semver promise) to what the README documents.
 */
export { parseStateDictPickle, type TensorRef, type StorageRef } from './io/torchPickle.js';
export { readZipDirectory, readZipEntry, type ZipEntry } from './io/zip.js';
export { openRegularFile, readRegularFile, readTextFile, makeOutputDir, maxJsonBytes, maxTokenizerBytes, type ReadLimit } from './files.js';
export { checkCorpus } from './data/corpus.js';
export { lockRunFolder, checkRunFolderFree, cleanStaleFiles, lockFileName, type RunFolderLock } from './train/runFolder.js';
// Building blocks of the datasets and models (seeded RNG, hashing for splits, row padding, the
// resumable batch cursor): internal since issue 16; the datasets and TokenBatches are the API.
export { createRng, hashString, type Rng } from './data/rng.js';
export { CursorBatches } from './data/position.js';
export { paragraphRow, padRows } from './data/tokenRows.js';

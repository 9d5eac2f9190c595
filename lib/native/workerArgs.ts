/**
 * execArgv for the package's worker threads: the parent's, less `--input-type` (set by
 * `node --input-type=module -e ...`), with which a Worker refuses to start from a file or an
 * eval string (ERR_INPUT_TYPE_NOT_ALLOWED).
 */
export const workerExecArgv = (): string[] => process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type');

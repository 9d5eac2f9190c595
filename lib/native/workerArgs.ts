import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * execArgv for the package's worker threads: the parent's, less `--input-type` (set by
 * `node --input-type=module -e ...`), with which a Worker refuses to start from a file or an
 * eval string (ERR_INPUT_TYPE_NOT_ALLOWED).
 */
export const workerExecArgv = (): string[] => process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type');

/**
 * A Worker with the parent's execArgv where Node accepts them, else none: per-process flags such
 * as `--trace-gc` or `--max-old-space-size` make `new Worker` throw ERR_WORKER_INVALID_EXEC_ARGV,
 * and a user profiling their app must not see tokenizer or model loading fail because of it.
 */
export function startWorker(script: string | URL, options: Omit<WorkerOptions, 'execArgv'>): Worker {
  try {
    return new Worker(script, { ...options, execArgv: workerExecArgv() });
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(script, { ...options, execArgv: [] });
  }
}

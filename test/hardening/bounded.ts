import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../../lib/native/loader.js';

export interface BoundedResult {
  code: number | null;
  /** Set when the child had to be killed: it ran past the bound (a hang). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The package's public entry point, for scripts run in a child process. */
export const indexUrl = new URL(`file://${join(packageRoot, 'dist', 'lib', 'index.js')}`).href;
/** Internal readers (lib/internal.ts): not exported from the package root. */
export const internalUrl = new URL(`file://${join(packageRoot, 'dist', 'lib', 'internal.js')}`).href;
export const cliPath = join(packageRoot, 'dist', 'lib', 'cli', 'main.js');

/**
 * Runs a command in a child process that is killed (SIGKILL) if it has not ended after
 * `timeoutMs`: a call that hangs makes the test fail with `signal` set instead of hanging the
 * suite. Never throws on a non-zero exit.
 */
export function runBounded(cmd: string, args: string[], timeoutMs = 20_000, options: { cwd?: string } = {}): Promise<BoundedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? packageRoot, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Runs an ES module script (it can `import * as svae from INDEX`) in a bounded child Node; the
 * script reports by printing one JSON line. Returns that parsed line (or throws with stderr).
 */
export async function runScript<T = Record<string, unknown>>(script: string, timeoutMs = 20_000): Promise<{ result: T | undefined; run: BoundedResult }> {
  const run = await runBounded(process.execPath, ['--input-type=module', '-e', script.replaceAll('INDEX', JSON.stringify(indexUrl))], timeoutMs);
  const last = run.stdout.trim().split('\n').pop();
  let result: T | undefined;
  try {
    result = last ? (JSON.parse(last) as T) : undefined;
  } catch {
    result = undefined;
  }
  return { result, run };
}

/** A script fragment: prints `{ name, message, errno }` of what `expr` (an awaited expression) throws, or `{ ok: true }`. */
export const reportError = (expr: string) =>
  `try { await (${expr}); console.log(JSON.stringify({ ok: true })); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, errno: e.errno ?? null, pid: e.pid ?? null })); }`;

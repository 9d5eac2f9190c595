import { spawn } from 'node:child_process';

/**
 * Runs a reference script with Debian's python3-torch (the LibTorch the addon links), or
 * SENTENCEVAE_REFERENCE_PYTHON. Never throws: a missing interpreter is a non-zero code.
 */
export function runPython(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.env.SENTENCEVAE_REFERENCE_PYTHON ?? '/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: e.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

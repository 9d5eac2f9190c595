/**
 * Download progress on stderr (never stdout: `sentencevae generate` writes the completion
 * there): a redrawn bar on a terminal, plain log lines otherwise (CI logs, pipes).
 */
import type { HubProgressEvent, ResolvedHubOptions } from './options.js';

export type ProgressSink = (event: HubProgressEvent) => void;

const mb = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;

/** The sink for an option value: silent, the caller's function, or stderr. */
export function progressSink(option: ResolvedHubOptions['progress'], stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (option === false) return () => undefined;
  if (typeof option === 'function') return option;
  const tty = stream.isTTY === true;
  let started = 0;
  let lastQuarter = 0;
  let lastDraw = 0;
  return (e) => {
    const now = Date.now();
    if (e.phase === 'start') {
      started = now;
      lastQuarter = 0;
      if (!tty) stream.write(`[hub] ${e.repo}: downloading ${e.file} (${mb(e.total)})\n`);
      return;
    }
    if (e.phase === 'done') {
      const seconds = Math.max((now - started) / 1000, 1e-3);
      const line = `[hub] ${e.repo}: ${e.file} ${mb(e.loaded)} in ${seconds.toFixed(1)} s (${mb(e.loaded / seconds)}/s)`;
      stream.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
      return;
    }
    if (tty) {
      if (now - lastDraw < 100) return; // redraw at most 10 times a second
      lastDraw = now;
      const fraction = e.total > 0 ? Math.min(e.loaded / e.total, 1) : 0;
      const width = 24;
      const filled = Math.round(fraction * width);
      stream.write(`\r\x1b[2K[hub] ${e.file} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mb(e.loaded)}/${mb(e.total)}`);
    } else if (e.total >= 4e6) {
      const quarter = Math.floor((e.loaded / e.total) * 4);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        stream.write(`[hub] ${e.repo}: ${e.file} ${quarter * 25}% (${mb(e.loaded)} of ${mb(e.total)})\n`);
      }
    }
  };
}

/** Training progress: a live bar on a TTY, plain log lines otherwise. */
export interface ProgressLine {
  step: number;
  maxSteps: number;
  loss: number;
  lr: number;
  tokensPerSecond: number;
  etaSeconds: number;
  /** Share of the run done, 0-1, when a time budget ends it before maxSteps (else step / maxSteps). */
  fraction?: number;
}

const clock = (s: number) => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

export function formatProgress(p: ProgressLine, width = 24): string {
  const done = Math.max(0, Math.min(width, Math.round((p.fraction ?? p.step / p.maxSteps) * width)));
  const bar = `${'='.repeat(Math.max(0, done - 1))}${done > 0 ? '>' : ''}${' '.repeat(width - done)}`;
  // A run bounded only by time (a schedule over wall time) has no step count to show.
  const steps = p.maxSteps >= Number.MAX_SAFE_INTEGER ? `${p.step}` : `${p.step}/${p.maxSteps}`;
  return `step ${steps} [${bar}] loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s ETA ${clock(p.etaSeconds)}`;
}

export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  #open = false;

  constructor(stream: NodeJS.WriteStream = process.stderr, tty = Boolean(stream.isTTY)) {
    this.#stream = stream;
    this.#tty = tty;
  }

  update(p: ProgressLine): void {
    const line = formatProgress(p);
    if (this.#tty) {
      this.#stream.write(`\r${line.padEnd(this.#stream.columns ? Math.min(this.#stream.columns - 1, 120) : 100)}`);
      this.#open = true;
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  /** A message on its own line (the bar is redrawn at the next update). */
  log(message: string): void {
    if (this.#open) this.#stream.write('\n');
    this.#open = false;
    this.#stream.write(`${message}\n`);
  }

  end(): void {
    if (this.#open) this.#stream.write('\n');
    this.#open = false;
  }
}

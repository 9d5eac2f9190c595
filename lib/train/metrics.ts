import { appendFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { readTextFile } from '../files.js';
import { expectString } from '../validate.js';

export type MetricRecord = { type: 'step' | 'eval'; step: number } & Record<string, number | string | boolean>;

/** Metrics appended to a JSONL file, one record a line. */
export class MetricsLog {
  readonly path: string;
  constructor(path: string) {
    this.path = expectString(path, 'path');
  }

  append(record: MetricRecord): Promise<void> {
    return appendFile(this.path, `${JSON.stringify(record)}\n`);
  }

  async read(): Promise<MetricRecord[]> {
    if (!existsSync(this.path)) return [];
    return (await readTextFile(this.path, { maxBytes: 1 << 30, what: 'a metrics log' })).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as MetricRecord);
  }

  /** Drops records past `step` (after resuming from a checkpoint written at `step`). */
  async truncateAfter(step: number): Promise<void> {
    const kept = (await this.read()).filter((r) => r.step <= step);
    await writeFile(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

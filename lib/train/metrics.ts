import { existsSync } from 'node:fs';
import { FormatError } from '../errors/FormatError.js';
import { readTextFile, writeTextFile } from '../files.js';
import { expectNumber, expectOneOf, expectString, invalid } from '../validate.js';

/** A record as `append` takes it: type 'step' or 'eval', a finite step, JSON-safe values. */
function checkRecord(value: unknown, name: string): MetricRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('metric record ({ type, step, ... })', name, value);
  const r = value as Record<string, unknown>;
  expectOneOf(r.type, `${name}.type`, ['step', 'eval']);
  expectNumber(r.step, `${name}.step`);
  for (const [key, v] of Object.entries(r)) {
    // NaN/Infinity become JSON null and an undefined field is left out (JSON.stringify); a BigInt,
    // an object or a symbol is not JSON.
    if (v !== undefined && typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') invalid('number, string or boolean', `${name}.${key}`, v);
  }
  return value as MetricRecord;
}

export type MetricRecord = { type: 'step' | 'eval'; step: number } & Record<string, number | string | boolean>;

/** Metrics appended to a JSONL file, one record a line. */
export class MetricsLog {
  readonly path: string;
  constructor(path: string) {
    this.path = expectString(path, 'path');
  }

  async append(record: MetricRecord): Promise<void> {
    checkRecord(record, 'record');
    await writeTextFile(this.path, `${JSON.stringify(record)}\n`, { append: true });
  }

  async read(): Promise<MetricRecord[]> {
    if (!existsSync(this.path)) return [];
    const lines = (await readTextFile(this.path, { maxBytes: 1 << 30, what: 'a metrics log' })).split('\n');
    const records: MetricRecord[] = [];
    lines.forEach((l, i) => {
      if (l.trim() === '') return;
      let r: unknown;
      try {
        r = JSON.parse(l);
      } catch (error) {
        throw new FormatError(`${this.path}:${i + 1}: not a metrics log line (${(error as Error).message})`, { path: this.path, line: i + 1 });
      }
      if (r === null || typeof r !== 'object' || typeof (r as { step?: unknown }).step !== 'number') {
        throw new FormatError(`${this.path}:${i + 1}: expected a metric record with a numeric step`, { path: this.path, line: i + 1 });
      }
      records.push(r as MetricRecord);
    });
    return records;
  }

  /** Drops records past `step` (after resuming from a checkpoint written at `step`). */
  async truncateAfter(step: number): Promise<void> {
    expectNumber(step, 'step');
    const kept = (await this.read()).filter((r) => r.step <= step);
    await writeTextFile(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

/**
 * lib/io/hub/progress.ts beyond test/hub/progress: the parts that do not depend on the clock —
 * the first bar drawn (a redraw is never throttled before the first), sizes in MB with 2 decimals
 * below 10 MB and 1 from there, the 4 MB threshold of quarter lines, one line per quarter.
 */
import test from 'ava';

import { progressSink } from '../../lib/io/hub/progress.js';

const stream = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream };
};
const ev = (phase: 'start' | 'progress' | 'done', loaded: number, total: number) => ({ repo: 'o/n', file: 'f.bin', phase, loaded, total });

test('a terminal: no start line; the first bar is exact', (t) => {
  const { out, stream: s } = stream(true);
  const sink = progressSink('auto', s);
  sink(ev('start', 0, 8e6));
  t.deepEqual(out, []);
  sink(ev('progress', 2.4e6, 8e6));
  t.deepEqual(out, [`\r\x1b[2K[hub] f.bin [${'#'.repeat(7)}${'.'.repeat(17)}]  30% 2.40 MB/8.00 MB`]);
  const over = stream(true);
  const sink2 = progressSink('auto', over.stream);
  sink2(ev('progress', 9e6, 8e6));
  t.deepEqual(over.out, [`\r\x1b[2K[hub] f.bin [${'#'.repeat(24)}] 100% 9.00 MB/8.00 MB`]);
  const unknown = stream(true);
  progressSink('auto', unknown.stream)(ev('progress', 5, 0));
  t.deepEqual(unknown.out, [`\r\x1b[2K[hub] f.bin [${'.'.repeat(24)}]   0% 0.00 MB/0.00 MB`]);
});

test('log lines: MB with 2 decimals below 10 MB, 1 from 10 MB; quarter lines from 4 MB, once per quarter', (t) => {
  const { out, stream: s } = stream(false);
  const sink = progressSink('auto', s);
  sink(ev('start', 0, 1e7));
  sink(ev('progress', 2.5e6, 1e7));
  sink(ev('progress', 2.6e6, 1e7));
  sink(ev('progress', 9.99e6, 1e7));
  t.deepEqual(out, [
    '[hub] o/n: downloading f.bin (10.0 MB)\n',
    '[hub] o/n: f.bin 25% (2.50 MB of 10.0 MB)\n',
    '[hub] o/n: f.bin 75% (9.99 MB of 10.0 MB)\n',
  ]);
  const edge = stream(false);
  const sink2 = progressSink('auto', edge.stream);
  sink2(ev('start', 0, 4e6));
  sink2(ev('progress', 1e6, 4e6));
  sink2(ev('progress', 4e6, 4e6));
  t.deepEqual(edge.out, ['[hub] o/n: downloading f.bin (4.00 MB)\n', '[hub] o/n: f.bin 25% (1.00 MB of 4.00 MB)\n']);
  const small = stream(false);
  const sink3 = progressSink('auto', small.stream);
  sink3(ev('progress', 1e6, 3.99e6));
  t.deepEqual(small.out, []);
  const fn: unknown[] = [];
  const own = progressSink((e) => fn.push(e), small.stream);
  own(ev('start', 0, 1));
  t.deepEqual(fn, [ev('start', 0, 1)]);
  t.deepEqual(small.out, []);
});

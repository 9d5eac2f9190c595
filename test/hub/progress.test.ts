/** Download progress: a redrawn bar on a terminal, log lines elsewhere, silence when asked. */
import test from 'ava';

import { progressSink } from '../../lib/io/hub/progress.js';

const fakeStream = (isTTY: boolean) => {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream };
};
const events = (total: number) => [
  { repo: 'o/n', file: 'model.safetensors', phase: 'start' as const, loaded: 0, total },
  ...[0.3, 0.6, 0.9, 1].map((f) => ({ repo: 'o/n', file: 'model.safetensors', phase: 'progress' as const, loaded: Math.round(f * total), total })),
  { repo: 'o/n', file: 'model.safetensors', phase: 'done' as const, loaded: total, total },
];

test('a terminal gets a bar redrawn in place, then one final line', (t) => {
  const { out, stream } = fakeStream(true);
  const sink = progressSink('auto', stream);
  for (const e of events(8e6)) sink(e);
  t.true(out.some((s) => /^\r\x1b\[2K\[hub\] model\.safetensors \[#+\.*\]\s+\d+% /.test(s)), out.join('|'));
  t.regex(out.at(-1)!, /^\r\x1b\[2K\[hub\] o\/n: model\.safetensors 8\.00 MB in [\d.]+ s \([\d.]+ MB\/s\)\n$/);
});

test('elsewhere: a start line, quarter lines for big files, a done line; nothing when silenced', (t) => {
  const { out, stream } = fakeStream(false);
  const sink = progressSink('auto', stream);
  for (const e of events(8e6)) sink(e);
  t.deepEqual(out.map((s) => s.replace(/in [\d.]+ s \([\d.]+ MB\/s\)/, 'in T')), [
    '[hub] o/n: downloading model.safetensors (8.00 MB)\n',
    '[hub] o/n: model.safetensors 25% (2.40 MB of 8.00 MB)\n',
    '[hub] o/n: model.safetensors 50% (4.80 MB of 8.00 MB)\n',
    '[hub] o/n: model.safetensors 75% (7.20 MB of 8.00 MB)\n',
    '[hub] o/n: model.safetensors 8.00 MB in T\n',
  ]);
  const quiet = fakeStream(false);
  const silent = progressSink(false, quiet.stream);
  for (const e of events(8e6)) silent(e);
  t.deepEqual(quiet.out, []);
});

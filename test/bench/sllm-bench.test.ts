import test from 'ava';

import { benchSllm, renderSllm } from '../../bench/sllm.js';

test('bench smoke: the Table 3 bench runs on the tiny shape and its numbers are consistent', async (t) => {
  const r = await benchSllm({ shapes: ['tiny'], svaeLayers: [1], batches: [1], sentences: 2, repeats: 1, threads: 2 });
  t.is(r.rows.length, 1);
  const row = r.rows[0]!;
  t.true(row.opt.median > 0 && row.sllm.median > 0);
  // KV per context token: the SLLM keeps one cache entry per sentence instead of one per token.
  t.true(Math.abs(row.kvSllm.computed * r.meanLength - row.kvOpt.computed) < 1e-6);
  t.true(row.kvOpt.allocated >= row.kvOpt.computed && row.kvSllm.allocated >= row.kvSllm.computed * 0.999);
  t.true(row.optOverhead >= 0 && row.optOverhead < 1 && row.sllmOverhead >= 0 && row.sllmOverhead < 1, 'native time is part of the wall time');
  t.true(row.floorOpt > 0 && row.floorSllm > 0);
  t.true(row.bytesPerTokenSllm < row.bytesPerTokenOpt * 2);
  t.regex(renderSllm(r), /SLLM-tiny-H1/);
});

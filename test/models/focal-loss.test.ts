import test from 'ava';

import { focalLoss, Tensor } from '../../lib/index.js';

// Two rows over a vocabulary of 2: logits [0, ln 3] -> p = [1/4, 3/4].
const rows = async () => ({
  logits: await Tensor.from(new Float32Array([0, Math.log(3), 0, Math.log(3), 5, 5]), { shape: [3, 2] }),
  targets: await Tensor.from(new BigInt64Array([1n, 0n, 1n])),
});

test('focal loss equals its formula on hand-computed cases', async (t) => {
  const { logits, targets } = await rows();
  const valid = await Tensor.from(new Uint8Array([1, 1, 0]), { dtype: 'bool' });
  // Row 0: target p = 3/4 -> (1/4)^2 * -ln(3/4); row 1: p = 1/4 -> (3/4)^2 * -ln(1/4). Row 2 masked.
  const expected = ((0.25 ** 2) * -Math.log(0.75) + (0.75 ** 2) * -Math.log(0.25)) / 2;
  const r = await focalLoss(logits, targets, valid, 2);
  t.true(Math.abs(r.loss - expected) < 1e-6, `${r.loss} vs ${expected}`);
  t.true(Math.abs(r.ce - (-Math.log(0.75) - Math.log(0.25)) / 2) < 1e-6);
  t.is(r.tokens, 2);
  t.is(r.correct, 1);
  const g1 = await focalLoss(logits, targets, valid, 1);
  t.true(Math.abs(g1.loss - (0.25 * -Math.log(0.75) + 0.75 * -Math.log(0.25)) / 2) < 1e-6);
});

test('focal loss at gamma 0 is cross-entropy', async (t) => {
  const { logits, targets } = await rows();
  const valid = await Tensor.from(new Uint8Array([1, 1, 1]), { dtype: 'bool' });
  const r = await focalLoss(logits, targets, valid, 0);
  t.is(r.loss, r.ce);
  t.true(Math.abs(r.ce - (-Math.log(0.75) - Math.log(0.25) + Math.log(2)) / 3) < 1e-6);
});

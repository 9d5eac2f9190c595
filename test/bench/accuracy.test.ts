// The accuracy bench (issue 13's bars) on tiny random OPT / SLLM / SentenceVAE folders made here
// with our own save(), over a few Brown held-out paragraphs and pieces: the structure of the
// result and invariants that fail on a wrong count or a misaligned position (float32 against
// itself exactly 100% and PPL ratio exactly 1; positions equal to the tokens evaluate() scores;
// every dtype over the same positions and tokens). Random weights say nothing about the bars.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import test from 'ava';

import { Agreement, type AccuracyResult, benchAccuracy, renderAccuracy } from '../../bench/accuracy.js';
import { InvalidArgumentError, OPT, ParagraphDataset, SentenceVAE, SLLM, Tokenizer } from '../../lib/index.js';
import { packageRoot } from '../../lib/native/loader.js';

const limit = 5;

async function tinyFolders(): Promise<{ opt: string; sllm: string; svae: string }> {
  const root = mkdtempSync(join(tmpdir(), 'svae-accuracy-'));
  const tok = await Tokenizer.builtin('gpt2-opt-4k');
  const opt = join(root, 'opt');
  const o = await OPT.create({
    vocabSize: 4104, hidden: 64, ffn: 128, layers: 2, heads: 4, maxPositions: 1024, wordEmbedProjDim: 64,
    preNorm: true, finalNorm: true, padId: tok.padId, bosId: tok.bosId, eosId: tok.eosId,
  }, { tokenizer: tok, seed: 3 });
  try {
    await o.save(opt);
  } finally {
    o.dispose();
  }
  const sllm = join(root, 'sllm');
  const s = await SLLM.create({ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 2 }, seed: 7 });
  try {
    await s.save(sllm);
  } finally {
    s.dispose();
  }
  const svae = join(root, 'svae');
  const v = await SentenceVAE.create({ preset: 'tiny', config: { dropout: 0 }, seed: 5 });
  try {
    await v.save(svae);
  } finally {
    v.dispose();
  }
  return { opt, sllm, svae };
}

let folders: Promise<{ opt: string; sllm: string; svae: string }> | undefined;
let measured: Promise<AccuracyResult> | undefined;
const result = () => {
  folders ??= tinyFolders();
  measured ??= folders.then((f) => benchAccuracy({ ...f, limit, batchSize: 2 }));
  return measured;
};

test('accuracy bench: one row per model and dtype; float32 against itself is exactly 100% and ratio 1', async (t) => {
  const r = await result();
  t.deepEqual(r.rows.map((x) => `${x.model} ${x.dtype}`), [
    'OPT float32', 'OPT bfloat16', 'OPT int8', 'SLLM float32', 'SLLM bfloat16', 'SLLM int8', 'SentenceVAE float32', 'SentenceVAE bfloat16', 'SentenceVAE int8',
  ]);
  t.deepEqual(r.heldOut, { OPT: limit, SLLM: limit, SentenceVAE: limit });
  for (const x of r.rows.filter((row) => row.dtype === 'float32')) {
    t.true(x.positions > 0, x.model);
    t.is(x.agree, x.positions, x.model);
    t.is(x.agreement, 1, x.model);
    t.is(x.pplRatio, 1, x.model);
    t.is(x.worstRelLogit, 0, x.model);
    t.is(x.bar, null);
    t.is(x.pass, null);
    t.true(Number.isFinite(x.ppl) && x.ppl > 1, `${x.model} PPL ${x.ppl}`);
  }
  t.log(renderAccuracy(r));
});

test('accuracy bench: every dtype of a model over the same positions and tokens; agreement in [0, 1]; pass judged against the bar', async (t) => {
  const r = await result();
  for (const model of ['OPT', 'SLLM', 'SentenceVAE'] as const) {
    const rows = r.rows.filter((x) => x.model === model && x.supported);
    const ref = rows.find((x) => x.dtype === 'float32')!;
    for (const x of rows) {
      t.is(x.positions, ref.positions, `${model} ${x.dtype}`);
      t.is(x.tokens, ref.tokens, `${model} ${x.dtype}`);
      t.true(x.agreement >= 0 && x.agreement <= 1, `${model} ${x.dtype}: ${x.agreement}`);
      t.true(Number.isFinite(x.worstRelLogit) && x.worstRelLogit >= 0, `${model} ${x.dtype}: ${x.worstRelLogit}`);
      t.true(Number.isFinite(x.ppl) && x.ppl > 1);
      t.true(Math.abs(x.pplRatio - x.ppl / ref.ppl) < 1e-12);
      if (x.dtype !== 'float32') {
        t.not(x.bar, null);
        t.is(x.pass, Math.abs(x.pplRatio - 1) <= x.bar!.ppl && x.agreement >= x.bar!.agreement);
      }
    }
  }
  // bfloat16 really ran in bfloat16: its logits differ from float32's somewhere.
  t.true(r.rows.filter((x) => x.dtype === 'bfloat16').every((x) => x.worstRelLogit > 0));
});

test('accuracy bench: positions are exactly the tokens evaluate() scores (OPT, SentenceVAE) and the SLLM decoder targets', async (t) => {
  const r = await result();
  const row = (model: string) => r.rows.find((x) => x.model === model && x.dtype === 'float32')!;
  // OPT: the targets of sentences 2..S and the eos, at the left-padded positions forward() returns.
  t.is(row('OPT').positions, row('OPT').tokens);
  // SentenceVAE: content + eos of every piece.
  t.is(row('SentenceVAE').positions, row('SentenceVAE').tokens);
  // OPT and SLLM on the same paragraphs (same tokenizer, 64-token pieces): the same PPL tokens
  // (content of sentences 2..S + one end per paragraph). The SLLM decodes content + eos of each
  // of sentences 2..S: tokens − paragraphs + Σ (S − 1).
  t.is(row('SLLM').tokens, row('OPT').tokens);
  const held = await ParagraphDataset.fromCorpus('brown', await Tokenizer.builtin('gpt2-opt-4k'), { validationFraction: 0.02, maxTokens: 64, maxSentences: 16, split: 'validation', limit });
  let next = 0;
  for (let p = 0; p < held.size; p++) next += held.sentenceCount(p) - 1;
  t.is(row('SLLM').positions, row('SLLM').tokens - held.size + next);
  // The compared logits give their targets the NLL evaluate() gives them: every position is the
  // one evaluate() scores (a shift by one, or padding counted, would not match).
  for (const x of r.rows.filter((y) => y.supported)) {
    const tolerance = x.dtype === 'float32' ? 1e-5 : 2e-2;
    t.true(Math.abs(x.logitNll - x.evalNll) / x.evalNll < tolerance, `${x.model} ${x.dtype}: ${x.logitNll} vs ${x.evalNll}`);
  }
});

test('accuracy bench: a dtype the model class lacks is a row marked not supported, never a number', async (t) => {
  const r = await result();
  const x = r.rows.find((row) => row.model === 'SentenceVAE' && row.dtype === 'int8')!;
  t.false(x.supported);
  t.regex(x.note!, /SentenceVAE has no int8 inference/);
  t.true(Number.isNaN(x.ppl) && Number.isNaN(x.agreement));
  t.is(x.positions, 0);
  t.is(x.pass, null);
  t.regex(renderAccuracy(r), /\| SentenceVAE \| int8 \| — .*not supported/);
});

test('Agreement counts only the given positions and surfaces NaN', (t) => {
  // 3 positions of 4 logits; position 1 is padding (differs but is not counted).
  const ref = new Float32Array([0, 1, 2, 3, 9, 0, 0, 0, 5, 1, 1, 1]);
  const got = new Float32Array([0, 1, 3, 2, 0, 9, 0, 0, 5, 1, 1, 1.5]);
  const g = new Agreement();
  g.add(ref, got, 4, [{ first: 0, targets: [3] }, { first: 2, targets: [0] }]);
  t.is(g.positions, 2);
  t.is(g.agree, 1);
  const sigma = Math.sqrt([0, 1, 2, 3].reduce((s, v) => s + (v - 1.5) ** 2, 0) / 4);
  t.true(Math.abs(g.worst - 1 / sigma) < 1e-6);
  // got's NLL of the targets: −log softmax([0,1,3,2])[3] − log softmax([5,1,1,1.5])[0].
  const nll = (row: number[], k: number) => Math.log(row.reduce((z, v) => z + Math.exp(v), 0)) - row[k]!;
  t.true(Math.abs(g.nll - nll([0, 1, 3, 2], 3) - nll([5, 1, 1, 1.5], 0)) < 1e-5);
  const nan = new Agreement();
  nan.add(ref, new Float32Array(ref).fill(Number.NaN, 0, 4), 4, [{ first: 0, targets: [0] }]);
  t.true(Number.isNaN(nan.worst));
});

test('accuracy bench: no model folder, an empty folder name or an unknown dtype is an InvalidArgumentError', async (t) => {
  await t.throwsAsync(benchAccuracy({}), { instanceOf: InvalidArgumentError, message: /Expected at least one model folder \(opt, sllm or svae\) for options/ });
  await t.throwsAsync(benchAccuracy({ svae: '' }), { instanceOf: InvalidArgumentError, message: /Expected a model folder for svae but received '' of type string/ });
  await t.throwsAsync(benchAccuracy({ svae: 'x', dtypes: ['float64' as never] }), { instanceOf: InvalidArgumentError, message: /for dtypes\[0\] but received 'float64'/ });
});

test('`bench accuracy` is registered: its --svae is a SentenceVAE folder (not the sllm bench\'s layer list), JSON written', async (t) => {
  folders ??= tinyFolders();
  const { svae } = await folders;
  const out = join(mkdtempSync(join(tmpdir(), 'svae-accuracy-out-')), 'accuracy.json');
  const { stdout } = await promisify(execFile)(process.execPath, [join(packageRoot, 'dist', 'bench', 'run.js'), 'accuracy', '--svae', svae, '--limit', '3', '--dtypes', 'bfloat16', '--out', out]);
  t.regex(stdout, /\| SentenceVAE \| float32 \| [\d.]+ \| 1\.0000 \| 100\.00% /);
  t.regex(stdout, /\| SentenceVAE \| bfloat16 \|/);
  const json = JSON.parse(readFileSync(out, 'utf8')) as { results: { accuracy: AccuracyResult } };
  t.deepEqual(json.results.accuracy.rows.map((x) => x.dtype), ['float32', 'bfloat16']);
  t.is(json.results.accuracy.heldOut.SentenceVAE, 3);
  t.is(json.results.accuracy.rows[0]!.dir, svae);
});

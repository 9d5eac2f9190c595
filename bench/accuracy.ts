/**
 * Issue 13's accuracy bars, measured on trained checkpoints: every inference dtype of a model
 * against its float32 self on the held-out split the documented Brown recipes use.
 *
 * For each model folder given (OPT, SLLM, SentenceVAE) and each dtype it supports:
 * - held-out perplexity from the model's own evaluate() over the same tokens as float32, and
 *   its ratio to float32's;
 * - teacher-forced argmax agreement with float32 over the held-out positions (only real,
 *   unpadded ones), and the worst |Δlogit| / σ(float32 logits at that position):
 *   - OPT: forward() logits of each paragraph row [bos, sentences..., eos], at the positions
 *     evaluate() scores (the targets of sentences 2..S and the eos);
 *   - SLLM: hidden() of the paragraphs, then decoderLogits() of each next sentence given its h
 *     (every dtype runs its own whole chain: its h feeds its decoder), all positions of it
 *     (content + eos);
 *   - SentenceVAE: logits(pieces, encodeToTensor(pieces)), all positions (content + eos).
 * Bars (issue 13): bfloat16 PPL within 1% and agreement ≥ 98%; int8 within 2% and ≥ 95%.
 *
 *   npm run bench -- accuracy --opt <dir> --sllm <dir> --svae <dir> [--data brown] [--limit N]
 *     [--dtypes float32,bfloat16,int8] [--out bench/results/accuracy.json]
 *
 * All models of one kind are held at once (one per dtype) and run batch by batch, so the float32
 * logits never have to be stored for the whole split.
 */
import { type InferenceDType, OPT, ParagraphDataset, SentenceDataset, SentenceVAE, SLLM, Tensor, Tokenizer } from '../lib/index.js';
import { paragraphRow } from '../lib/internal.js';
import { inferenceDTypes } from '../lib/models/inferenceDType.js';
import { ShapeError } from '../lib/errors/ShapeError.js';
import { expectInteger, expectOptions, expectString, invalid } from '../lib/validate.js';

export type AccuracyModel = 'OPT' | 'SLLM' | 'SentenceVAE';

export interface AccuracyOptions {
  /** OPT folder (e.g. runs/sllm-brown/opt/final). */
  opt?: string;
  /** SLLM folder (e.g. runs/sllm-brown/sllm/final). */
  sllm?: string;
  /** SentenceVAE folder (e.g. runs/svae-brown/final). */
  svae?: string;
  /** Corpus of the held-out split (a name such as 'brown', or a path ParagraphDataset.fromCorpus reads). @default 'brown' */
  data?: string;
  /** Held-out paragraphs (OPT, SLLM) and sentence pieces (SentenceVAE). @default 300 paragraphs (the SLLM recipe's held-out set), every held-out piece */
  limit?: number;
  /** Dtypes to compare with float32 (float32 is always measured first, as the reference). @default ['bfloat16', 'int8'] */
  dtypes?: readonly InferenceDType[];
  /** Paragraphs (OPT, SLLM) or pieces / 16 (SentenceVAE) per logits call. @default 4 */
  batchSize?: number;
  /** Called with a line of progress per model and dtype. @default none */
  log?: (line: string) => void;
}

/** Issue 13's bars: |PPL ratio − 1| at most `ppl`, agreement at least `agreement`. */
export const accuracyBars: Readonly<Partial<Record<InferenceDType, { ppl: number; agreement: number }>>> = Object.freeze({
  bfloat16: { ppl: 0.01, agreement: 0.98 },
  int8: { ppl: 0.02, agreement: 0.95 },
});

export interface AccuracyRow {
  model: AccuracyModel;
  dir: string;
  dtype: InferenceDType;
  /** False when the model class has no such dtype (then every number is NaN and `note` says why). */
  supported: boolean;
  note?: string;
  /** Held-out PPL from the model's evaluate(). */
  ppl: number;
  /** ppl / float32's ppl. */
  pplRatio: number;
  /** Tokens evaluate() scored (must equal float32's: the same tokens). */
  tokens: number;
  /** Positions where this dtype's argmax equals float32's. */
  agree: number;
  /** Real (unpadded) held-out positions compared. */
  positions: number;
  /** agree / positions. */
  agreement: number;
  /** max over positions of max |logit − float32 logit| / σ(float32 logits at that position). */
  worstRelLogit: number;
  /** The bar this dtype is held to (none for float32, the reference, and for dtypes without a bar). */
  bar: { ppl: number; agreement: number } | null;
  /** Against the bar; null without one. */
  pass: boolean | null;
  /** NLL (nats) this dtype's logits give the targets at those positions. */
  logitNll: number;
  /** evaluate()'s NLL over the same positions: equal to logitNll up to rounding when the positions line up. */
  evalNll: number;
  /** Wall time of this dtype's evaluate() + logits (shared machine unless stated otherwise). */
  seconds: number;
}

export interface AccuracyResult {
  data: string;
  limit: number | null;
  /** Held-out examples per model: paragraphs (OPT, SLLM) or sentence pieces (SentenceVAE). */
  heldOut: Partial<Record<AccuracyModel, number>>;
  rows: AccuracyRow[];
}

/**
 * Real positions of a [N, L, V] logits block: runs of consecutive flat positions from `first`,
 * one per target id (the token the logits at that position predict).
 */
export type Spans = Array<{ first: number; targets: ArrayLike<number> }>;

/** One model kind: how to load it, evaluate it and get teacher-forced logits of batch k. */
interface Subject<M extends { dispose(): void }> {
  model: AccuracyModel;
  dir: string;
  /** The dtypes the model class can be loaded in. */
  dtypes: readonly InferenceDType[];
  load(dtype: InferenceDType): Promise<M>;
  /** PPL and its tokens, and evaluate()'s own NLL (nats) over exactly the positions logits() compares. */
  evaluate(model: M): Promise<{ ppl: number; tokens: number; positionNll: number }>;
  batches: number;
  logits(model: M, k: number): Promise<{ logits: Float32Array; vocab: number; spans: Spans }>;
  heldOut: number;
}

/**
 * Argmax agreement and worst relative logit error over the real positions of one block, and the
 * NLL `got` gives the targets there (checked against evaluate(): the positions line up).
 */
export class Agreement {
  agree = 0;
  positions = 0;
  worst = 0;
  nll = 0;

  add(ref: Float32Array, got: Float32Array, vocab: number, spans: Spans): void {
    if (ref.length !== got.length) throw new ShapeError(`Expected logits of ${ref.length} values (as float32's) but received ${got.length}`);
    for (const { first, targets } of spans) {
      for (let j = 0; j < targets.length; j++) {
        const o = (first + j) * vocab;
        let ia = 0;
        let ib = 0;
        let sum = 0;
        let maxDiff = 0;
        for (let i = 0; i < vocab; i++) {
          const a = ref[o + i]!;
          const b = got[o + i]!;
          if (a > ref[o + ia]!) ia = i;
          if (b > got[o + ib]!) ib = i;
          sum += a;
          const d = Math.abs(a - b);
          // NaN must surface, not vanish in a comparison.
          if (!(d <= maxDiff)) maxDiff = d;
        }
        const mean = sum / vocab;
        let sq = 0;
        for (let i = 0; i < vocab; i++) sq += (ref[o + i]! - mean) ** 2;
        const sigma = Math.sqrt(sq / vocab);
        const rel = maxDiff === 0 ? 0 : maxDiff / sigma;
        if (!(rel <= this.worst)) this.worst = rel;
        if (ia === ib) this.agree++;
        this.positions++;
        // −log softmax(got)[target], stabilized by got's max.
        const top = got[o + ib]!;
        let z = 0;
        for (let i = 0; i < vocab; i++) z += Math.exp(got[o + i]! - top);
        this.nll += top + Math.log(z) - got[o + targets[j]!]!;
      }
    }
  }
}

function checkDir(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  expectString(value, name);
  if (value === '') invalid('a model folder', name, value);
  return value as string;
}

/** Held-out paragraphs exactly as examples/sllm-vs-opt-brown.ts builds them (its `recipe`). */
const paragraphRecipe = { validationFraction: 0.02, maxSentences: 16, heldOut: 300 };

async function heldParagraphs(data: string, tokenizer: Tokenizer, maxTokens: number, limit: number | undefined): Promise<ParagraphDataset> {
  return ParagraphDataset.fromCorpus(data, tokenizer, {
    validationFraction: paragraphRecipe.validationFraction, maxTokens, maxSentences: paragraphRecipe.maxSentences,
    split: 'validation', limit: limit ?? paragraphRecipe.heldOut,
  });
}

/** A sentence piece's decoder targets: its ids after bos, then eos (position i predicts token i + 1). */
function shifted(piece: Int32Array, eosId: number): Int32Array {
  const t = new Int32Array(piece.length);
  t.set(piece.subarray(1));
  t[piece.length - 1] = eosId;
  return t;
}

const ranges = (n: number, size: number) => Array.from({ length: Math.ceil(n / size) }, (_, k) => [k * size, Math.min(n, (k + 1) * size)] as const);

async function optSubject(dir: string, data: string, limit: number | undefined, batchSize: number): Promise<Subject<OPT>> {
  const probe = await OPT.load(dir);
  // The recipe's OPT is saved with its tokenizer; a folder without one gets the recipe's (gpt2-opt-4k).
  const tokenizer = probe.hasTokenizer ? probe.tokenizer : await Tokenizer.builtin('gpt2-opt-4k');
  const { bosId, eosId } = probe.config;
  probe.dispose();
  const held = await heldParagraphs(data, tokenizer, 64, limit);
  // Batched by length (less padding); agreement and NLL do not depend on the order.
  const rows = Array.from({ length: held.size }, (_, p) => paragraphRow(held.get(p), bosId, eosId)).sort((a, b) => a.ids.length - b.ids.length);
  const chunks = ranges(rows.length, batchSize);
  return {
    model: 'OPT', dir, dtypes: inferenceDTypes, heldOut: held.size, batches: chunks.length,
    load: (dtype) => OPT.load(dir, { dtype, tokenizer }),
    evaluate: async (m) => {
      const e = await m.evaluate(held);
      return { ppl: e.ppl, tokens: e.tokens, positionNll: e.loss * e.tokens };
    },
    logits: async (m, k) => {
      const [from, to] = chunks[k]!;
      const chunk = rows.slice(from, to);
      const { logits, dims } = await m.forward({ inputIds: chunk.map((r) => r.ids) });
      const t = dims[1];
      // forward() left-pads: row b's token j sits at t − length + j. The logits at token j − 1
      // predict token j; evaluate() scores j = firstEnd .. length − 1.
      const spans: Spans = chunk.map((r, b) => ({ first: b * t + (t - r.ids.length) + r.firstEnd - 1, targets: r.ids.subarray(r.firstEnd) }));
      return { logits, vocab: dims[2], spans };
    },
  };
}

async function sllmSubject(dir: string, data: string, limit: number | undefined, batchSize: number): Promise<Subject<SLLM>> {
  const probe = await SLLM.load(dir);
  const tokenizer = probe.tokenizer;
  const { maxTokens, hidden, eosId } = probe.config.svae;
  probe.dispose();
  const held = await heldParagraphs(data, tokenizer, maxTokens, limit);
  const paragraphs = Array.from({ length: held.size }, (_, p) => held.get(p))
    .sort((a, b) => a.length - b.length || Math.max(...a.map((x) => x.length)) - Math.max(...b.map((x) => x.length)));
  const chunks = ranges(paragraphs.length, batchSize);
  return {
    model: 'SLLM', dir, dtypes: inferenceDTypes, heldOut: held.size, batches: chunks.length,
    load: (dtype) => SLLM.load(dir, { dtype }),
    evaluate: async (m) => {
      const e = await m.evaluate(held);
      // The decoder's part of the PPL (content + each sentence's eos); the stop flags are not logits positions.
      return { ppl: e.ppl, tokens: e.tokens, positionNll: e.nll.content + e.nll.eos };
    },
    logits: async (m, k) => {
      const [from, to] = chunks[k]!;
      const chunk = paragraphs.slice(from, to);
      const h = await m.hidden(chunk);
      let hv: Float32Array;
      let slots: number;
      try {
        slots = h.shape[1]!;
        const f = await h.to('cpu', 'float32');
        try {
          hv = (await f.toArray()) as Float32Array;
        } finally {
          f.dispose();
        }
      } finally {
        h.dispose();
      }
      // h of sentence s predicts sentence s + 1 (teacher forced: the true sentences throughout).
      const targets: Int32Array[] = [];
      const memory = new Float32Array(chunk.reduce((n, p) => n + p.length - 1, 0) * hidden);
      chunk.forEach((p, b) => {
        for (let s = 0; s + 1 < p.length; s++) {
          memory.set(hv.subarray((b * slots + s) * hidden, (b * slots + s + 1) * hidden), targets.length * hidden);
          targets.push(p[s + 1]!);
        }
      });
      const mem = await Tensor.from(memory, { shape: [targets.length, hidden] });
      try {
        const out = await m.decoderLogits(targets, mem);
        try {
          const [, l, v] = out.shape as [number, number, number];
          // Sentence i's positions 0 .. length − 1 predict its content and its eos.
          return { logits: (await out.toArray()) as Float32Array, vocab: v, spans: targets.map((x, i) => ({ first: i * l, targets: shifted(x, eosId) })) };
        } finally {
          out.dispose();
        }
      } finally {
        mem.dispose();
      }
    },
  };
}

async function svaeSubject(dir: string, data: string, limit: number | undefined, batchSize: number): Promise<Subject<SentenceVAE>> {
  const probe = await SentenceVAE.load(dir);
  const tokenizer = probe.tokenizer;
  const { maxTokens, eosId } = probe.config;
  probe.dispose();
  // As examples/train-svae-brown.ts: the validation split at fraction 0.02 (every piece unless limited).
  const held = await SentenceDataset.fromCorpus(data, tokenizer, { validationFraction: 0.02, maxTokens, split: 'validation', ...(limit === undefined ? {} : { limit }) });
  const pieces = Array.from({ length: held.size }, (_, i) => held.get(i)).sort((a, b) => a.length - b.length);
  const chunks = ranges(pieces.length, batchSize * 16);
  return {
    model: 'SentenceVAE', dir, heldOut: held.size, batches: chunks.length,
    // lib/models/SentenceVAE.ts: ModelDType only (float16 needs CUDA); no int8 path.
    dtypes: ['float32', 'bfloat16', 'float16'],
    load: (dtype) => SentenceVAE.load(dir, { dtype: dtype as 'float32' | 'bfloat16' | 'float16' }),
    evaluate: async (m) => {
      const e = await m.evaluate(pieces, { exactMatch: false });
      return { ppl: e.ppl, tokens: e.tokens, positionNll: Math.log(e.ppl) * e.tokens };
    },
    logits: async (m, k) => {
      const [from, to] = chunks[k]!;
      const chunk = pieces.slice(from, to);
      const vectors = await m.encodeToTensor(chunk);
      try {
        const out = await m.logits(chunk, vectors);
        try {
          const [, l, v] = out.shape as [number, number, number];
          return { logits: (await out.toArray()) as Float32Array, vocab: v, spans: chunk.map((x, i) => ({ first: i * l, targets: shifted(x, eosId) })) };
        } finally {
          out.dispose();
        }
      } finally {
        vectors.dispose();
      }
    },
  };
}

async function measure<M extends { dispose(): void }>(s: Subject<M>, dtypes: readonly InferenceDType[], log: (line: string) => void): Promise<AccuracyRow[]> {
  const usable = dtypes.filter((d) => s.dtypes.includes(d));
  const loaded = new Map<InferenceDType, M>();
  const seconds = new Map<InferenceDType, number>(usable.map((d) => [d, 0]));
  const evals = new Map<InferenceDType, { ppl: number; tokens: number; positionNll: number }>();
  const agreements = new Map(usable.map((d) => [d, new Agreement()]));
  const timed = async <T>(dtype: InferenceDType, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      seconds.set(dtype, seconds.get(dtype)! + (performance.now() - t0) / 1000);
    }
  };
  try {
    for (const dtype of usable) {
      const m = await timed(dtype, () => s.load(dtype));
      loaded.set(dtype, m);
      const e = await timed(dtype, () => s.evaluate(m));
      evals.set(dtype, e);
      log(`${s.model} ${dtype}: PPL ${e.ppl.toFixed(4)} over ${e.tokens} tokens`);
    }
    const ref = loaded.get('float32')!;
    for (let k = 0; k < s.batches; k++) {
      const a = await timed('float32', () => s.logits(ref, k));
      // float32 against itself: the counting run on identical logits (agreement must be exactly 1).
      agreements.get('float32')!.add(a.logits, a.logits, a.vocab, a.spans);
      const positions = a.spans.reduce((n, x) => n + x.targets.length, 0);
      for (const [dtype, m] of loaded) {
        if (dtype === 'float32') continue;
        const b = await timed(dtype, () => s.logits(m, k));
        if (b.vocab !== a.vocab || b.spans.reduce((n, x) => n + x.targets.length, 0) !== positions) throw new ShapeError(`${s.model} ${dtype}: batch ${k} has other positions than float32's`);
        agreements.get(dtype)!.add(a.logits, b.logits, a.vocab, a.spans);
      }
    }
  } finally {
    for (const m of loaded.values()) m.dispose();
  }
  const base = evals.get('float32')!;
  return dtypes.map((dtype): AccuracyRow => {
    const bar = dtype === 'float32' ? null : accuracyBars[dtype] ?? null;
    const e = evals.get(dtype);
    const g = agreements.get(dtype);
    if (!e || !g) {
      return {
        model: s.model, dir: s.dir, dtype, supported: false, note: `${s.model} has no ${dtype} inference (its dtypes: ${s.dtypes.join(', ')})`,
        ppl: Number.NaN, pplRatio: Number.NaN, tokens: 0, agree: 0, positions: 0, agreement: Number.NaN, worstRelLogit: Number.NaN,
        logitNll: Number.NaN, evalNll: Number.NaN, bar, pass: null, seconds: 0,
      };
    }
    const pplRatio = e.ppl / base.ppl;
    const agreement = g.agree / g.positions;
    return {
      model: s.model, dir: s.dir, dtype, supported: true, ppl: e.ppl, pplRatio, tokens: e.tokens,
      agree: g.agree, positions: g.positions, agreement, worstRelLogit: g.worst, logitNll: g.nll, evalNll: e.positionNll, bar,
      pass: bar === null ? null : Math.abs(pplRatio - 1) <= bar.ppl && agreement >= bar.agreement,
      seconds: seconds.get(dtype)!,
    };
  });
}

/**
 * Measures every given model in float32 (the reference) and each of `dtypes`.
 * @example
 * ```ts
 * const r = await benchAccuracy({ sllm: 'runs/sllm-brown/sllm/final', limit: 50 });
 * console.log(renderAccuracy(r));
 * ```
 */
export async function benchAccuracy(options: AccuracyOptions): Promise<AccuracyResult> {
  options = expectOptions(options);
  const opt = checkDir(options.opt, 'opt');
  const sllm = checkDir(options.sllm, 'sllm');
  const svae = checkDir(options.svae, 'svae');
  if (opt === undefined && sllm === undefined && svae === undefined) invalid('at least one model folder (opt, sllm or svae)', 'options', options);
  const data = expectString(options.data ?? 'brown', 'data');
  const limit = options.limit === undefined ? undefined : expectInteger(options.limit, 'limit', 1);
  const batchSize = expectInteger(options.batchSize ?? 4, 'batchSize', 1);
  const given = options.dtypes ?? ['bfloat16', 'int8'];
  if (!Array.isArray(given)) invalid('array of dtypes', 'dtypes', given);
  for (let i = 0; i < given.length; i++) if (!(inferenceDTypes as readonly unknown[]).includes(given[i])) invalid(`one of ${inferenceDTypes.map((d) => `'${d}'`).join(', ')}`, `dtypes[${i}]`, given[i]);
  const dtypes: InferenceDType[] = ['float32', ...new Set(given.filter((d) => d !== 'float32'))];
  const log = options.log ?? (() => {});
  const result: AccuracyResult = { data, limit: limit ?? null, heldOut: {}, rows: [] };
  const run = async <M extends { dispose(): void }>(subject: Promise<Subject<M>>) => {
    const s = await subject;
    result.heldOut[s.model] = s.heldOut;
    log(`${s.model} (${s.dir}): ${s.heldOut} held-out ${s.model === 'SentenceVAE' ? 'pieces' : 'paragraphs'}`);
    result.rows.push(...await measure(s, dtypes, log));
  };
  if (opt !== undefined) await run(optSubject(opt, data, limit, batchSize));
  if (sllm !== undefined) await run(sllmSubject(sllm, data, limit, batchSize));
  if (svae !== undefined) await run(svaeSubject(svae, data, limit, batchSize));
  return result;
}

const pct = (x: number, digits = 2) => (Number.isNaN(x) ? '—' : `${(100 * x).toFixed(digits)}%`);

/** The Markdown table: one row per model and dtype, pass/fail against issue 13's bars. */
export function renderAccuracy(r: AccuracyResult): string {
  const held = Object.entries(r.heldOut).map(([m, n]) => `${m} ${n} ${m === 'SentenceVAE' ? 'pieces' : 'paragraphs'}`).join(', ');
  const lines = [
    `Accuracy vs float32 on the held-out split of '${r.data}' (${held}); bars: bfloat16 PPL within 1%, agreement ≥ 98%; int8 within 2%, ≥ 95%`,
    '',
    '| model | dtype | PPL | PPL ratio | argmax agreement | positions | worst \\|Δlogit\\|/σ | bar | pass |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const x of r.rows) {
    if (!x.supported) {
      lines.push(`| ${x.model} | ${x.dtype} | — | — | — | — | — | ${x.bar ? `±${pct(x.bar.ppl, 0)}, ≥ ${pct(x.bar.agreement, 0)}` : '—'} | not supported (${x.note}) |`);
      continue;
    }
    lines.push(`| ${x.model} | ${x.dtype} | ${x.ppl.toFixed(3)} | ${x.pplRatio.toFixed(4)} | ${pct(x.agreement)} (${x.agree}/${x.positions}) | ${x.positions} | ${x.worstRelLogit.toFixed(3)} | ${x.bar ? `±${pct(x.bar.ppl, 0)}, ≥ ${pct(x.bar.agreement, 0)}` : 'reference'} | ${x.pass === null ? '—' : x.pass ? 'pass' : '**fail**'} |`);
  }
  const supported = r.rows.filter((x) => x.supported);
  const gap = Math.max(...supported.map((x) => Math.abs(x.logitNll - x.evalNll) / x.evalNll));
  lines.push('', `Positions check: the NLL of the compared logits matches evaluate()'s over the same positions within ${gap.toExponential(1)} (relative, worst row).`);
  return lines.join('\n');
}

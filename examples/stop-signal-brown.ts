/**
 * How much a stop head can learn from the easy signals, measured on the data alone (no model):
 * the best accuracy any classifier reaches on Brown's held-out stop labels when it sees only
 * (a) nothing (the base rate), (b) the sentence's last character, (c) its position in the chunk,
 * (d) both — the Bayes-optimal decision per cell, fitted on the training split and scored on the
 * held-out one, with the same chunking as examples/sllm-vs-opt-brown.ts (≤ 16 sentences).
 *
 *   npm run build:ts && node dist/examples/stop-signal-brown.js [--max-sentences 16] [--held 300]
 */
import { ParagraphDataset, Tokenizer } from '../lib/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const maxSentences = Number(arg('max-sentences', '16'));
const tok = await Tokenizer.builtin('gpt2-opt-4k');
const corpus = { validationFraction: 0.02, maxTokens: 64, maxSentences };
const train = await ParagraphDataset.fromCorpus('brown', tok, { ...corpus, split: 'train', limit: Number(arg('train', '4000')) });
const held = await ParagraphDataset.fromCorpus('brown', tok, { ...corpus, split: 'validation', limit: Number(arg('held', '300')) });

type Flag = { last: string; position: number; stop: boolean };
async function flags(data: ParagraphDataset): Promise<Flag[]> {
  const out: Flag[] = [];
  for (let p = 0; p < data.size; p++) {
    const pieces = data.get(p);
    const texts = await tok.decodeBatch(pieces.map((x) => x.subarray(1)));
    texts.forEach((text, i) => out.push({ last: text.trimEnd().slice(-1), position: Math.min(i, maxSentences - 1), stop: i === pieces.length - 1 }));
  }
  return out;
}
const fit = await flags(train);
const test = await flags(held);
const features: Record<string, (f: Flag) => string> = {
  'nothing (base rate)': () => '',
  'last character': (f) => f.last,
  'position in the chunk': (f) => String(f.position),
  'last character + position': (f) => `${f.last}|${f.position}`,
};
console.log(`held-out flags: ${test.length} (${test.filter((f) => f.stop).length} stops); fitted on ${fit.length} training flags`);
console.log('| features the classifier sees | held-out accuracy | stop recall | stop precision |\n| --- | --- | --- | --- |');
for (const [name, key] of Object.entries(features)) {
  const cells = new Map<string, { stop: number; go: number }>();
  for (const f of fit) {
    const c = cells.get(key(f)) ?? { stop: 0, go: 0 };
    if (f.stop) c.stop++; else c.go++;
    cells.set(key(f), c);
  }
  let right = 0, tp = 0, fp = 0;
  for (const f of test) {
    const c = cells.get(key(f));
    const sayStop = c !== undefined && c.stop > c.go;
    if (sayStop === f.stop) right++;
    if (sayStop && f.stop) tp++;
    if (sayStop && !f.stop) fp++;
  }
  const stops = test.filter((f) => f.stop).length;
  console.log(`| ${name} | ${(100 * right / test.length).toFixed(1)}% | ${(100 * tp / stops).toFixed(1)}% | ${tp + fp > 0 ? `${(100 * tp / (tp + fp)).toFixed(1)}%` : '—'} |`);
}

/**
 * The fuzz targets: every public entry point of lib/index.ts (and the internal readers of lib/internal.ts), each as a valid call (`args`) that
 * the fuzzer mutates (scripts/fuzz/values.mjs), plus loaders fed mutated model files
 * (scripts/fuzz/files.mjs). `call` returns whatever the API returns; the worker consumes async
 * iterators and disposes what it gets back.
 */
import { join } from 'node:path';

/** Valid calls of the public API. `ctx` holds the worker's models, files and library. */
export function apiTargets(ctx) {
  const L = ctx.lib;
  const tok = ctx.tokenizer;
  const tensor = (values = [1, 2, 3, 4, 5, 6], shape = [2, 3]) => L.Tensor.from(new Float32Array(values), { shape });
  const tmp = (name) => join(ctx.caseDir(), name);
  const t = [];
  const add = (name, args, call) => t.push({ name, args, call });

  // text
  add('segment', () => ['Hello, world. It costs 3.50!\nBye', { cutMarks: ',.', cutAtLineBreaks: true }], (a) => L.segment(...a));
  add('segmentStream', () => [['Hello, wo', 'rld. Bye'], { cutMarks: '.' }], (a) => L.segmentStream(...a));
  add('Tokenizer.builtin', () => ['gpt2-opt-4k'], (a) => L.Tokenizer.builtin(...a));
  add('Tokenizer.fromPretrained', () => [ctx.optDir], (a) => L.Tokenizer.fromPretrained(...a));
  add('tokenizer.encode', () => ['Hello there.', { addBos: true }], (a) => tok.encode(...a));
  add('tokenizer.encodeBatch', () => [['Hello.', ' there.'], { addBos: false }], (a) => tok.encodeBatch(...a));
  add('tokenizer.decode', () => [[2, 500, 600, 2], { skipSpecialTokens: true }], (a) => tok.decode(...a));
  add('tokenizer.decodeBatch', () => [[[2, 500], [600]], { skipSpecialTokens: false }], (a) => tok.decodeBatch(...a));
  add('tokenizer.idToToken', () => [500], (a) => tok.idToToken(...a));
  add('splitIds', () => [new Int32Array([5, 6, 7, 8, 9]), 2, 3], (a) => L.splitIds(...a));
  add('tokenizeSegments', () => [tok, ['Hello.', ' there.'], { maxTokens: 8 }], (a) => L.tokenizeSegments(...a));
  add('tokenizeText', () => [tok, 'Hello. There, you.', { maxTokens: 8, cutMarks: '.,' }], (a) => L.tokenizeText(...a));
  add('padSentences', () => [[[2, 5, 6], [2, 7]], { padId: 1, length: 4 }], (a) => L.padSentences(...a));
  add('padParagraphs', () => [[[[2, 5], [2, 6, 7]], [[2, 9]]], { padId: 1 }], (a) => L.padParagraphs(...a));
  add('bucketBatches', () => [[3, 4, 5, 6, 2], { batchSize: 2, windowBatches: 2, seed: 1 }], (a) => L.bucketBatches(...a));
  add('paddingRatio', () => [[[0, 1], [2]], [3, 4, 5]], (a) => L.paddingRatio(...a));

  // data
  add('readCorpus', () => [[ctx.textFile, ctx.jsonlFile], { lineJoin: ' ', field: 'text' }], (a) => L.readCorpus(...a));
  add('readPlainText', () => [ctx.textFile, { lineJoin: '\n' }], (a) => L.readPlainText(...a));
  add('readJsonl', () => [ctx.jsonlFile, { field: 'text' }], (a) => L.readJsonl(...a));
  add('readLines', () => [ctx.textFile, { chunkBytes: 7 }], (a) => L.readLines(...a));
  add('splitOf', () => ['Some paragraph.', { validationFraction: 0.5, seed: 3 }], (a) => L.splitOf(...a));
  add('filterSplit', () => [L.readPlainText(ctx.textFile), 'train', { validationFraction: 0.5 }], (a) => L.filterSplit(...a));
  add('detokenizeBrown', () => ['The/at jury/nn said/vbd ``/`` yes/rb \'\'/\'\' ./.'], (a) => L.detokenizeBrown(...a));
  add('brownParagraphs', () => [2, { minSentences: 1, maxSentences: 4, maxChars: 400 }], (a) => L.brownParagraphs(...a));
  add('brownSentences', () => [tok, 3, 20], (a) => L.brownSentences(...a));
  add('createRng', () => [3, 12345], (a) => { const g = L.createRng(...a); return [g.next(), g.int(5), g.permutation(4)]; });
  add('rng.int/permutation', () => [7, 5], (a) => { const g = L.createRng(1); return [g.int(a[0]), g.permutation(a[1])]; });
  add('hashString', () => ['abc', 5], (a) => L.hashString(...a));
  add('SentenceDataset.fromParagraphs', () => [['A b. C d!', 'E f?'], tok, { maxTokens: 16, cutMarks: '.!?' }], (a) => L.SentenceDataset.fromParagraphs(...a));
  add('SentenceDataset.fromCorpus', () => [ctx.textFile, tok, { split: 'train', validationFraction: 0.5, maxTokens: 16 }], (a) => L.SentenceDataset.fromCorpus(...a));
  add('SentenceDataset.batches', () => [{ batchSize: 2, bucket: true, seed: 1 }], async (a) => (await ctx.sentenceDataset()).batches(...a).next());
  add('SentenceDataset.get', () => [1], async (a) => (await ctx.sentenceDataset()).get(...a));
  add('ParagraphDataset.fromParagraphs', () => [['A b. C d!', 'E f? G h.'], tok, { maxTokens: 16, minSentences: 1, maxSentences: 8 }], (a) => L.ParagraphDataset.fromParagraphs(...a));
  add('ParagraphDataset.batches', () => [{ batchSize: 1, seed: 2 }], async (a) => (await ctx.paragraphDataset()).batches(...a).next());
  add('paragraphRow', () => [[[2, 5, 6], [2, 7]], 2, 2], (a) => L.paragraphRow(...a));
  add('padRows', () => [[new Int32Array([2, 5, 6]), new Int32Array([2])], 1], (a) => L.padRows(...a));
  add('TokenBatches', () => [{ batchSize: 1, seed: 2 }, { bos: 2, eos: 2, pad: 1 }], async (a) => new L.TokenBatches((await ctx.paragraphDataset()).batches(a[0]), a[1]).next());

  // tensors and ops
  add('Tensor.from', () => [new Float32Array([1, 2, 3, 4]), { shape: [2, 2], dtype: 'float32', device: 'cpu' }], (a) => L.Tensor.from(...a));
  add('Tensor.borrow', () => [new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2], dtype: 'int32' }], (a) => L.Tensor.borrow(...a));
  add('tensor.to', () => ['cpu', 'float64'], async (a) => (await tensor()).to(...a));
  add('tensor.view/toArray', () => [[3, 2]], async (a) => { const x = L.Tensor.borrow(new Float32Array(6), { shape: a[0] }); return [x.view(), await x.toArray()]; });
  add('matmul', async () => [await tensor(), await tensor([1, 2, 3, 4, 5, 6], [3, 2])], (a) => L.matmul(...a));
  add('linear', async () => [await tensor(), await tensor([1, 2, 3, 4, 5, 6], [2, 3]), await tensor([1, 2], [2])], (a) => L.linear(...a));
  add('relu', async () => [await tensor()], (a) => L.relu(...a));
  add('softmax', async () => [await tensor(), -1], (a) => L.softmax(...a));
  add('reshape', async () => [await tensor(), [3, 2]], (a) => L.reshape(...a));
  add('randn', () => [[2, 3], { dtype: 'float32', device: 'cpu', seed: 4 }], (a) => L.randn(...a));
  add('focalLoss', async () => [
    await tensor([1, 2, 3, 4, 5, 6], [2, 3]), await L.Tensor.from(new BigInt64Array([0n, 2n]), { shape: [2] }), await L.Tensor.from(new Uint8Array([1, 1]), { shape: [2], dtype: 'bool' }), 2,
  ], (a) => L.focalLoss(...a));

  // runtime
  add('info', () => [], () => L.info());
  add('setThreads', () => [1], (a) => { try { return L.setThreads(...a); } finally { L.setThreads(1); } });
  add('resolveDevice', () => ['cpu'], (a) => L.resolveDevice(...a));

  // schedule, metrics, curves, checkpoints
  add('learningRate', () => [10, { baseLr: 1e-3, warmupSteps: 5, warmupStartFactor: 0.1, cosinePeriod: 20, minLrFactor: 0.1 }], (a) => L.learningRate(...a));
  add('MetricsLog', () => [tmp('metrics.jsonl'), { type: 'step', step: 1, loss: 2 }], async (a) => { const m = new L.MetricsLog(a[0]); await m.append(a[1]); await m.truncateAfter(0); return m.read(); });
  add('writeCurves', () => [tmp('curves.svg'), [{ type: 'step', step: 1, loss: 2, ppl: 3 }, { type: 'eval', step: 2, loss: 1, ppl: 2 }], 'title'], (a) => L.writeCurves(...a));
  add('readCheckpoint', () => [ctx.caseDir()], (a) => L.readCheckpoint(...a));

  // io
  add('readSafetensorsHeader', () => [ctx.safetensorsFile], (a) => L.readSafetensorsHeader(...a));
  add('loadSafetensors', () => [ctx.safetensorsFile, { names: ['model.decoder.embed_positions.weight'] }], (a) => L.loadSafetensors(...a));
  add('saveSafetensors', async () => [tmp('x.safetensors'), { a: await tensor(), b: await tensor([1, 2], [2]) }, { format: 'pt' }], (a) => L.saveSafetensors(...a));
  add('loadTorchCheckpoint', () => [ctx.binFile], (a) => L.loadTorchCheckpoint(...a));
  add('readZipDirectory', () => [ctx.binFile], (a) => L.readZipDirectory(...a));
  add('parseStateDictPickle', () => [ctx.pickle, 'data.pkl'], (a) => L.parseStateDictPickle(...a));
  add('readOptConfig', () => [ctx.optDir], (a) => L.readOptConfig(...a));
  add('readOptWeights', () => [ctx.optDir], (a) => L.readOptWeights(...a));

  // SentenceVAE
  const vae = ctx.vae;
  add('SentenceVAE.create', () => [{ preset: 'tiny', config: { layers: 1, dropout: 0 }, tokenizer: 'gpt2-opt-4k', device: 'cpu', dtype: 'float32', seed: 1 }], (a) => L.SentenceVAE.create(...a));
  add('SentenceVAE.load', () => [ctx.svaeDir, { device: 'cpu', dtype: 'float32' }], (a) => L.SentenceVAE.load(...a));
  add('vae.tokenize', () => [['Hello.', ' there.']], (a) => vae.tokenize(...a));
  add('vae.encode', () => [['Hello.', ' there.'], { batchSize: 1 }], (a) => vae.encode(...a));
  add('vae.encodeToTensor', () => [['Hello.']], (a) => vae.encodeToTensor(...a));
  add('vae.decode', () => [new Float32Array(vae.config.hidden * 2).fill(0.1), { maxTokens: 4, sample: true, temperature: 0.8, topK: 5, topP: 0.9, seed: 1 }], (a) => vae.decode(...a));
  add('vae.decodeIds', () => [new Float32Array(vae.config.hidden).fill(0.1), { maxTokens: 3, withLogits: true }], (a) => vae.decodeIds(...a));
  add('vae.reconstruct', () => [['Hello.', 'Bye.'], { maxTokens: 4 }], (a) => vae.reconstruct(...a));
  add('vae.evaluate', () => [['Hello there.', 'Bye now.'], { batchSize: 1, gamma: 2, exactMatch: true }], (a) => vae.evaluate(...a));
  add('vae.logits', async () => [['Hello.'], await L.Tensor.from(new Float32Array(vae.config.hidden), { shape: [1, vae.config.hidden] }), { shortcut: true }], (a) => vae.logits(...a));
  add('vae.trainStep', async () => [L.padSentences([[2, 500, 600], [2, 700]], { padId: 1 }), { lr: 1e-4, gamma: 2, clip: 1, weightDecay: 0.01 }], (a) => vae.trainStep(...a));
  add('vae.save', () => [tmp('svae-out')], (a) => vae.save(...a));

  // OPT
  const opt = ctx.opt;
  add('OPT.load', () => [ctx.optDir, { device: 'cpu', dtype: 'float32' }], (a) => L.OPT.load(...a));
  add('OPT.create', () => [{ ...opt.config }, { tokenizer: opt.tokenizer, device: 'cpu', dtype: 'float32', seed: 1 }], (a) => L.OPT.create(...a));
  add('opt.forward', () => [{ inputIds: [[2, 100, 200], [2, 300]], attentionMask: [[1, 1, 1], [1, 1]] }], (a) => opt.forward(...a));
  add('opt.generate', () => [['Hello there', 'It was'], { maxNewTokens: 3, sample: true, temperature: 0.9, topK: 4, topP: 0.8, seed: 2 }], (a) => opt.generate(...a));
  add('opt.stream', () => ['Hello', { maxNewTokens: 3 }], (a) => opt.stream(...a));
  add('opt.decodeSteps', () => [{ inputIds: [[2, 100, 200]] }, { maxNewTokens: 2, withLogits: true, ignoreEos: true }], (a) => opt.decodeSteps(...a));
  add('opt.evaluate', () => [['Hello there. It was late.'], { batchSize: 1, gamma: 2 }], (a) => opt.evaluate(...a));

  // SLLM
  const sllm = ctx.sllm;
  add('SLLM.create', () => [{ svae: { preset: 'tiny', dropout: 0 }, llm: { layers: 1 }, device: 'cpu', dtype: 'float32', seed: 1, freezeSvae: false }], (a) => L.SLLM.create(...a));
  add('SLLM.load', () => [ctx.sllmDir, { device: 'cpu' }], (a) => L.SLLM.load(...a));
  add('SLLM.fromOpt', () => [ctx.optDir, { svae: { layers: 1 }, seed: 1 }], (a) => L.SLLM.fromOpt(...a));
  add('sllm.generate', () => [['It was late.', 'The jury met.'], { maxSentences: 2, maxTokens: 6, maxSentenceTokens: 4, ignoreStop: true, sample: true, seed: 3, withVectors: true }], (a) => sllm.generate(...a));
  add('sllm.generateText', () => ['It was late.', { maxSentences: 2, maxSentenceTokens: 4 }], (a) => sllm.generateText(...a));
  add('sllm.pieces', () => ['It was late. Then it was not.'], (a) => sllm.pieces(...a));
  add('sllm.hidden', async () => [[await sllm.pieces('It was late. Yes.')]], (a) => sllm.hidden(...a));
  add('sllm.evaluate', () => [['It was late. The jury met. Nobody came.'], { gamma: 2 }], (a) => sllm.evaluate(...a));

  // Trainer
  add('Trainer', async () => [vae, { out: tmp('run'), maxSteps: 1, evalEvery: 0, progress: false, schedule: { baseLr: 1e-4, warmupSteps: 1 }, emaDecay: 0.5, accumulation: 1 }, { batchSize: 2 }],
    async (a) => {
      const trainer = new L.Trainer(a[0], a[1]);
      const data = await ctx.sentenceDataset();
      // maxSteps 1e9 or 2^53 is a valid request for a very long run: the caller bounds it with its
      // signal, as a user would (the run must then stop cleanly), so it is not counted as a hang.
      return trainer.run({ batches: data.batches(a[2]), validation: ['Hello there.'], signal: AbortSignal.timeout(4000) });
    });
  return t;
}

/** Extra hostile values that only make sense with the worker's objects. */
export async function extraHostile(ctx) {
  const L = ctx.lib;
  const disposed = await L.Tensor.from(new Float32Array([1, 2]));
  disposed.dispose();
  return [
    disposed, await L.Tensor.from(new Int32Array([1, 2, 3])), await L.Tensor.from(new Float32Array(24), { shape: [2, 3, 4] }),
    ctx.tokenizer, ctx.vae, ctx.textFile, ctx.optDir, ctx.caseDir(), '/proc/x', '/dev/null', '/nonexistent/dir/file',
    [new Int32Array([2, 5])], [[2, 5, 6], [2]], { batchSize: 1 },
  ];
}

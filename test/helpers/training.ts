import { padSentences, SentenceDataset, SentenceVAE, type SentenceBatch, type Tensor } from '../../lib/index.js';
import { testDevice } from './device.js';
import { brownSentences } from './sentences.js';

export async function tinySetup(seed = 1, dropout = 0.1) {
  const vae = await SentenceVAE.create({ preset: 'tiny', config: { dropout, hidden: 64, heads: 2, ffn: 128 }, seed, device: testDevice });
  const sentences = await brownSentences(vae.tokenizer, 96, 20);
  const train = await SentenceDataset.fromParagraphs(sentences.slice(0, 80), vae.tokenizer);
  const held = sentences.slice(80);
  return { vae, train, held };
}

export async function batchOf(vae: SentenceVAE, texts: readonly string[]): Promise<SentenceBatch> {
  return padSentences(await vae.tokenize(texts), { padId: vae.config.padId });
}

export async function weightsOf(model: { namedTensors(): Map<string, Tensor> }): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of model.namedTensors()) {
    out.set(k, (await t.toArray()) as Float32Array);
    t.dispose();
  }
  return out;
}

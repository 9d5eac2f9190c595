/**
 * `npm run demo`: the main job on a small built-in default. For now it shows what the native
 * layer runs on and performs a small forward pass (a 2-layer MLP) in LibTorch.
 */
import { info, linear, randn, relu, softmax } from '../lib/index.js';

const i = info();
console.log('sentencevae native layer');
console.log(`  LibTorch ${i.libtorchVersion} (${i.torchSource}, built with ${i.buildSystem})`);
console.log(`  devices: ${i.devices.map((d) => d.name).join(', ')}; threads: ${i.threads}`);
console.log(`  BLAS: ${i.blasLibraries.join(', ') || 'none loaded yet'}`);

// A small MLP forward pass: x[4, 64] -> 256 -> 8 classes, random weights with fixed seeds.
const x = await randn([4, 64], { seed: 1 });
const w1 = await randn([256, 64], { seed: 2 });
const w2 = await randn([8, 256], { seed: 3 });
const started = performance.now();
const hidden = await relu(await linear(x, w1));
const probs = await softmax(await linear(hidden, w2), -1);
const elapsed = performance.now() - started;
const p = (await probs.toArray()) as Float32Array;
console.log(`\nMLP forward [4, 64] -> [4, 8] in ${elapsed.toFixed(2)} ms; row sums of softmax:`);
for (let r = 0; r < 4; r++) {
  const row = p.subarray(r * 8, r * 8 + 8);
  console.log(`  row ${r}: argmax ${row.indexOf(Math.max(...row))}, sum ${row.reduce((a, b) => a + b, 0).toFixed(6)}`);
}
for (const t of [x, w1, w2, hidden, probs]) t.dispose();

// Where a training step's time goes: every kernel call of a model's step, timed and grouped by
// layer, averaged over timed steps after a warm-up. With threads, a split kernel's time is the
// wall time of the whole fork/join (the calling thread waits for its workers).
// Run: npm run build && node bench/profile.js --model cnn-tuned [--threads 2] [--steps 60]
//      [--data-dir DIR]   (or SIMDNET_DATA; MNIST's first 6,400 training images are used)
//      --inference        profiles prediction instead: batches of 256 through predictProbabilities
//                         (the path of simdnet bench --inference, predict and evaluate)
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { Engine, modelSpec, loadDataset, stepper, Sequential, predictProbabilities } = await import(new URL('../dist/index.js', import.meta.url));

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn-tuned' },
    threads: { type: 'string' },
    steps: { type: 'string', default: '60' },
    'data-dir': { type: 'string' },
    inference: { type: 'boolean', default: false },
  },
});
const inference = values.inference;
const BATCH = inference ? 256 : 64;
const IMAGES = 6400;
const steps = Number(values.steps);
const engine = await Engine.create({ threads: values.threads ? Number(values.threads) : undefined });
const dataset = await loadDataset('mnist', { dataDir: values['data-dir'] ?? process.env.SIMDNET_DATA });
const spec = modelSpec(values.model);
const train = { ...dataset.train, count: IMAGES };
// The training step every host runs (src/train/loop.ts), on the first IMAGES training images;
// or prediction of consecutive batches of them, planned forward-only as evaluate plans a model.
let model;
let optimizer;
let step;
if (inference) {
  model = new Sequential(engine, spec, { maxBatch: BATCH, seed: 0, training: false });
  const size = model.inputSize;
  let cursor = 0;
  step = () => {
    predictProbabilities(model, train.images.subarray(cursor * BATCH * size, (cursor + 1) * BATCH * size), BATCH);
    cursor = (cursor + 1) % Math.floor(IMAGES / BATCH);
  };
} else {
  const stepping = stepper(engine, spec, train, BATCH, 0);
  ({ model, optimizer } = stepping.context);
  step = stepping.step;
}

// Every kernel the layers can reach, wrapped with a timer; the label says which layer called it.
const totals = new Map();
let label = '';
const kernels = model.kernels;
const names = new Set();
for (let o = kernels; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) Object.getOwnPropertyNames(o).forEach((n) => names.add(n));
for (const name of names) {
  const kernel = kernels[name];
  if (typeof kernel !== 'function' || name === 'constructor') continue;
  kernels[name] = function (...args) {
    const start = performance.now();
    const result = kernel.apply(this, args);
    const key = `${label} ${name}`;
    totals.set(key, (totals.get(key) ?? 0) + performance.now() - start);
    return result;
  };
}
model.layers.forEach((layer, i) => {
  const [forward, backward] = [layer.forward.bind(layer), layer.backward.bind(layer)];
  layer.forward = (...args) => ((label = `${i}:${layer.spec.type} forward`), forward(...args));
  layer.backward = (...args) => ((label = `${i}:${layer.spec.type} backward`), backward(...args));
});

// Phases outside the layers, labelled by wrapping the methods the step calls.
const phase = (object, method, name) => {
  const original = object[method].bind(object);
  object[method] = (...args) => ((label = name), original(...args));
};
phase(model, 'loadBatch', 'batch');
if (!inference) {
  phase(model, 'zeroGrads', 'zero gradients');
  phase(model, 'correct', 'loss');
  phase(model, 'backward', 'loss');
  phase(optimizer, 'update', spec.optimizer.type);
}

for (let i = 0; i < 20; i++) step();
totals.clear();
const started = performance.now();
for (let i = 0; i < steps; i++) step();
const perStep = (performance.now() - started) / steps;

const what = inference ? 'prediction' : 'training';
console.log(`${values.model} ${what}, ${engine.threads} thread(s), FMA ${engine.kernels.usesFma() ? 'on' : 'off'}: ${perStep.toFixed(2)} ms per batch of ${BATCH} (${Math.round((BATCH * 1000) / perStep)} samples/s), ${steps} batches`);
let sum = 0;
for (const [key, ms] of [...totals].sort((a, b) => b[1] - a[1])) {
  sum += ms / steps;
  console.log(`${key.padEnd(52)} ${(ms / steps).toFixed(3).padStart(8)} ms ${((100 * ms) / steps / perStep).toFixed(1).padStart(5)}%`);
}
console.log(`${'kernels in all'.padEnd(52)} ${sum.toFixed(3).padStart(8)} ms ${((100 * sum) / perStep).toFixed(1).padStart(5)}%`);
engine.close();

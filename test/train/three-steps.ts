// The fixture of the thread-count tests: a model trained three steps (29 samples each, so that
// layers have enough to split) on one batch of 32 random images and labels, from fixed seeds.
// Whatever the thread count or the pool's policy, the weights that come back must be the same.
import type { Engine } from '../../src/engine/engine.js';
import type { ConvolutionChoice } from '../../src/nn/layers/layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import type { TrainingSpec } from '../../src/nn/spec.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import { trainStep } from '../../src/train/loop.js';
import { Random } from '../../src/util/random.js';

export function trainThreeSteps(engine: Engine, spec: TrainingSpec, convolution?: ConvolutionChoice): { model: Sequential; params: Float32Array } {
  const model = new Sequential(engine, spec, { maxBatch: 32, seed: 5, ...(convolution ? { convolution } : {}) });
  const optimizer = new Optimizer(spec.optimizer, engine, { kernels: model.kernels, params: model.params, grads: model.grads, count: model.paramFloats });
  const images = engine.reserve(32 * 784);
  const labels = engine.reserve(32);
  const random = new Random(9);
  engine.u8(images, 32 * 784).forEach((_, i, a) => (a[i] = random.below(256)));
  engine.u8(labels, 32).forEach((_, i, a) => (a[i] = random.below(10)));
  const order = Int32Array.from({ length: 32 }, (_, i) => i);
  for (let step = 0; step < 3; step++) trainStep({ model, optimizer, spec, data: { images, labels }, stepsPerEpoch: 1, totalSteps: 3 }, order, 0, 29);
  return { model, params: engine.f32(model.params, model.paramFloats).slice() };
}

// A training run reduced to one hash: the notebook model `name` trains two epochs of three steps
// (64, 64, 13 samples) from seed 0 on the synthetic dataset, through the same training entry point
// the CLI uses, and the SHA-256 of every weight in Keras order (no padding) comes back.
import { createHash } from 'node:crypto';
import type { Engine } from '../../src/engine/engine.js';
import { modelSpec } from '../../src/nn/models.js';
import { train } from '../../src/train/trainer.js';
import { readWeights } from '../../src/nn/weights.js';
import { syntheticDataset } from './helpers.js';
import type { ConvolutionChoice } from '../../src/nn/layers/layer.js';

const dataset = syntheticDataset(141, 20);

export async function trainingDigest(engine: Engine, name: string, convolution: ConvolutionChoice = 'auto'): Promise<string> {
  const spec = modelSpec(name);
  const hash = createHash('sha256');
  await train(engine, spec, dataset, {
    epochs: 2,
    batchSize: 64,
    seed: 0,
    validationSplit: 0,
    convolution,
    onTrained: (model) => {
      for (const values of readWeights(model)) hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    },
  });
  return hash.digest('hex');
}

// Training throughput: full steps (gather, forward, backward, Adam) of one model on real images,
// timed after a warm-up that lets V8 tier the wasm up to optimised code.
import type { Engine } from '../engine/engine.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../nn/adam.js';
import type { ModelSpec } from '../nn/spec.js';
import { Random } from '../util/random.js';
import type { ImageSplit } from './trainer.js';

export interface ThroughputOptions {
  batchSize: number;
  /** Timed steps per repeat. */
  batches: number;
  warmupBatches: number;
  repeats: number;
  seed: number;
}

export interface Throughput {
  /** Median over repeats. */
  samplesPerSecond: number;
  /** Every repeat's figure, in order. */
  repeats: number[];
}

export function measureThroughput(engine: Engine, spec: ModelSpec, split: ImageSplit, options: ThroughputOptions): Throughput {
  const mark = engine.mark();
  try {
    const pixels = split.rows * split.cols;
    const images = engine.storeU8(split.images.subarray(0, split.count * pixels), 'benchmark images');
    const labels = engine.storeU8(split.labels.subarray(0, split.count), 'benchmark labels');
    const model = new Sequential(engine, spec, { maxBatch: options.batchSize, seed: options.seed });
    const optimizer = new Adam(spec.learningRate);
    const order = Int32Array.from({ length: split.count }, (_, i) => i);
    new Random(options.seed).shuffle(order);
    let cursor = 0;
    const step = () => {
      if (cursor + options.batchSize > order.length) cursor = 0;
      model.loadBatch(images, labels, order, cursor, options.batchSize);
      cursor += options.batchSize;
      model.zeroGrads();
      model.forward(options.batchSize, true);
      model.backward(options.batchSize);
      optimizer.update(model);
    };
    for (let i = 0; i < options.warmupBatches; i++) step();
    const repeats: number[] = [];
    for (let r = 0; r < options.repeats; r++) {
      const started = performance.now();
      for (let i = 0; i < options.batches; i++) step();
      const seconds = (performance.now() - started) / 1000;
      repeats.push((options.batches * options.batchSize) / seconds);
    }
    const sorted = [...repeats].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const samplesPerSecond = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { samplesPerSecond, repeats };
  } finally {
    engine.release(mark);
  }
}

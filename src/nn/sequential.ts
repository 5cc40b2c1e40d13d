// A fixed stack of layers over one memory plan. Parameters, their gradients and Adam's two
// moments each sit in one contiguous block (so zeroing and the update are one call each);
// every activation and activation gradient is reserved once, for the largest batch.
import type { Engine } from '../engine/engine.js';
import type { Kernels, Ptr } from '../engine/kernels.js';
import { splitKernels } from '../engine/parallel-kernels.js';
import type { Layer, Scratch, Wiring } from './layers/layer.js';
import { Conv2D } from './layers/conv2d.js';
import { Dense } from './layers/dense.js';
import { Dropout } from './layers/dropout.js';
import { Flatten } from './layers/flatten.js';
import { MaxPool2D } from './layers/maxpool2d.js';
import { shapeSize, type LayerSpec, type ModelSpec, type Shape } from './spec.js';
import { Random, deriveSeed } from '../util/random.js';
import { SimdnetError } from '../engine/errors.js';

/** Each layer's parameters start on a 64-byte boundary, so every kernel sees aligned weights. */
const PARAM_ALIGN_FLOATS = 16;

function createLayer(spec: LayerSpec, input: Shape, k: Kernels): Layer {
  switch (spec.type) {
    case 'conv2d':
      return new Conv2D(spec, input, k);
    case 'maxPooling2d':
      return new MaxPool2D(spec, input, k);
    case 'dense':
      return new Dense(spec, input, k);
    case 'dropout':
      return new Dropout(spec, input, k);
    case 'flatten':
      return new Flatten(spec, input);
  }
}

export interface SequentialOptions {
  /** Largest batch the memory plan holds. */
  maxBatch: number;
  seed: number;
}

export class Sequential {
  readonly layers: Layer[] = [];
  readonly inputSize: number;
  readonly classes: number;
  readonly maxBatch: number;
  /** Floats in each of the parameter, gradient and moment blocks (padding included). */
  readonly paramFloats: number;
  readonly params: Ptr;
  readonly grads: Ptr;
  readonly adamM: Ptr;
  readonly adamV: Ptr;
  /** Float offset of each layer's parameters within the block. */
  readonly paramOffsets: number[] = [];
  /** The batch, as f32 [batch, ...inputShape]. */
  readonly input: Ptr;
  /** Sample indices of the batch (i32), and their labels (i32). */
  readonly indices: Ptr;
  readonly labels: Ptr;
  /** Softmax of the last layer's logits [batch, classes]. */
  readonly probs: Ptr;
  readonly logits: Ptr;
  readonly dLogits: Ptr;
  readonly scratch: Scratch;
  /** The kernels the layers call: split across the engine's threads when it has several. */
  readonly kernels: Kernels;

  constructor(
    readonly engine: Engine,
    readonly spec: ModelSpec,
    options: SequentialOptions,
  ) {
    const split = engine.pool ? splitKernels(engine.kernels, engine.pool) : null;
    const k = split ? split.kernels : engine.kernels;
    this.kernels = k;
    this.maxBatch = options.maxBatch;
    let shape: Shape = spec.inputShape;
    for (const layerSpec of spec.layers) {
      const layer = createLayer(layerSpec, shape, k);
      this.layers.push(layer);
      shape = layer.outputShape;
    }
    const foldedDropouts: [MaxPool2D, Dropout][] = [];
    // A ReLU convolution followed by a max pool: the pool's backward applies the ReLU's (it knows
    // each window's max, which is the ReLU output at the argmax), saving a pass over the conv's
    // full-size output gradient. Same values bit for bit.
    for (let i = 1; i < this.layers.length; i++) {
      const [before, pool] = [this.layers[i - 1], this.layers[i]];
      if (pool instanceof MaxPool2D && before instanceof Conv2D && before.spec.activation === 'relu') {
        pool.foldsReluBackward = true;
        before.reluBackwardFolded = true;
      }
    }
    this.layers.forEach((layer, i) => {
      const next = this.layers[i + 1];
      // A dropout (in place) right after a max pool: the pool's backward multiplies by the mask.
      if (layer instanceof MaxPool2D && next instanceof Dropout && next.spec.rate > 0) {
        next.backwardFolded = true;
        foldedDropouts.push([layer, next]);
      }
    });
    const last = spec.layers[spec.layers.length - 1];
    if (!last || last.type !== 'dense' || last.activation !== 'softmax') {
      throw new SimdnetError(`model '${spec.name}' must end with a dense softmax layer`);
    }
    this.inputSize = shapeSize(spec.inputShape);
    this.classes = last.units;

    let offset = 0;
    for (const layer of this.layers) {
      this.paramOffsets.push(offset);
      offset += Math.ceil(layer.paramCount / PARAM_ALIGN_FLOATS) * PARAM_ALIGN_FLOATS;
    }
    this.paramFloats = offset;
    const blockBytes = Math.max(offset, 1) * 4;
    this.params = engine.reserve(blockBytes, 'parameters');
    this.grads = engine.reserve(blockBytes, 'gradients');
    this.adamM = engine.reserve(blockBytes, 'Adam first moments');
    this.adamV = engine.reserve(blockBytes, 'Adam second moments');
    this.layers.forEach((layer, i) => layer.bindParams(this.params + this.paramOffsets[i] * 4, this.grads + this.paramOffsets[i] * 4));

    const batch = this.maxBatch;
    const packFloats = Math.max(0, ...this.layers.map((layer) => layer.scratchFloats(k, batch)));
    this.scratch = {
      pack: engine.reserve(packFloats * 4, 'GEMM packing scratch'),
      rngState: engine.reserve(16, 'dropout random state'),
    };
    split?.parallel.setPacks(Array.from({ length: engine.threads - 1 }, () => engine.reserve(packFloats * 4, 'GEMM packing scratch')));
    k.rngSeed(this.scratch.rngState, deriveSeed(options.seed, 2));

    this.input = engine.reserve(batch * this.inputSize * 4, 'input batch');
    this.indices = engine.reserve(batch * 4, 'batch indices');
    this.labels = engine.reserve(batch * 4, 'batch labels');
    this.probs = engine.reserve(batch * this.classes * 4, 'probabilities');

    // Forward buffers: in-place layers write over their input.
    const wirings: Wiring[] = [];
    let current = this.input;
    for (const layer of this.layers) {
      const output = layer.inPlace ? current : engine.reserve(batch * shapeSize(layer.outputShape) * 4, `${layer.spec.type} output`);
      wirings.push({ input: current, output, dInput: 0, dOutput: 0 });
      current = output;
    }
    this.logits = current;
    // Backward buffers: only layers with parameters somewhere upstream need an input gradient.
    const firstWithParams = this.layers.findIndex((layer) => layer.paramCount > 0);
    this.dLogits = engine.reserve(batch * this.classes * 4, 'logit gradients');
    let dOutput = this.dLogits;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      wirings[i].dOutput = dOutput;
      if (i > firstWithParams) {
        wirings[i].dInput = layer.inPlace ? dOutput : engine.reserve(batch * shapeSize(layer.inputShape) * 4, `${layer.spec.type} input gradient`);
      }
      dOutput = wirings[i].dInput;
    }
    this.layers.forEach((layer, i) => layer.allocate(engine, batch, wirings[i], this.scratch));
    for (const [pool, dropout] of foldedDropouts) pool.dropoutMaskAfter = dropout.maskPtr;
    // A convolution followed by a max pool, when the shape allows: the conv pools each block of
    // its output as soon as it is final, instead of the pool reading the whole output back.
    this.layers.forEach((layer, i) => {
      const pool = this.layers[i + 1];
      if (layer instanceof Conv2D && pool instanceof MaxPool2D && k.conv2dPoolsInline(layer.inputShape[0], layer.inputShape[1], layer.spec.kernelSize)) {
        layer.poolInline = pool.forwardBuffers;
        pool.forwardInline = true;
      }
    });
    this.initParams(options.seed);
  }

  /** Glorot-uniform weights and zero biases, from the seed alone. */
  initParams(seed: number): void {
    const random = new Random(deriveSeed(seed, 0));
    const params = this.engine.f32(this.params, this.paramFloats);
    params.fill(0);
    this.layers.forEach((layer, i) => layer.initParams(params.subarray(this.paramOffsets[i], this.paramOffsets[i] + layer.paramCount), random));
  }

  get paramCount(): number {
    return this.layers.reduce((sum, layer) => sum + layer.paramCount, 0);
  }

  /** Gathers samples `order[start .. start+count)` of a u8 dataset into the input and label buffers. */
  loadBatch(images: Ptr, labels: Ptr, order: Int32Array, start: number, count: number): void {
    if (count > this.maxBatch) throw new Error(`batch of ${count} exceeds the planned ${this.maxBatch}`);
    this.engine.i32(this.indices, count).set(order.subarray(start, start + count));
    this.kernels.gatherImages(images, this.indices, this.input, count, this.inputSize, 1 / 255);
    this.kernels.gatherLabels(labels, this.indices, this.labels, count);
  }

  /** Runs every layer, then the softmax; returns the summed cross-entropy over the batch. */
  forward(batch: number, training: boolean): number {
    for (const layer of this.layers) layer.forward(batch, training);
    return this.kernels.softmaxCrossEntropyForward(this.logits, this.labels, this.probs, batch, this.classes);
  }

  /** Gradients of the mean loss over the batch, added into the gradient block. */
  backward(batch: number): void {
    this.kernels.softmaxCrossEntropyBackward(this.probs, this.labels, this.dLogits, batch, this.classes, 1 / batch);
    for (let i = this.layers.length - 1; i >= 0; i--) this.layers[i].backward(batch);
  }

  zeroGrads(): void {
    this.kernels.zeroF32(this.grads, this.paramFloats);
  }

  correct(batch: number): number {
    return this.kernels.countCorrect(this.probs, this.labels, batch, this.classes);
  }
}

/**
 * An upper bound on the bytes a model's memory plan takes per sample of the batch: the input,
 * every activation and its gradient, and what pooling and dropout save for backward (the packing
 * scratch does not grow with the batch). Computed from the spec alone, before anything is reserved.
 */
export function bytesPerSample(spec: ModelSpec, kernels: Kernels): number {
  let shape: Shape = spec.inputShape;
  let floats = shapeSize(shape);
  for (const layerSpec of spec.layers) {
    // Layer constructors only compute shapes (and validate them); nothing is reserved here.
    const layer = createLayer(layerSpec, shape, kernels);
    // Output, its gradient, a saved mask or argmax of the same size, and the input gradient.
    floats += 3 * shapeSize(layer.outputShape) + shapeSize(shape);
    shape = layer.outputShape;
  }
  return floats * 4;
}

// A fixed stack of layers over one memory plan. Parameters and their gradients each sit in one
// contiguous block (so zeroing and the optimizer's update are one call each), non-trainable state
// (moving statistics) in a third; every activation and activation gradient is reserved once, for
// the largest batch. The layers come from the registry; what they fold into each other is their
// own business (Layer.fold), so nothing here knows one layer type from another.
import type { Engine } from '../engine/engine.js';
import type { Kernels, Ptr } from '../engine/kernel-table.js';
import { splitKernels } from '../engine/parallel-kernels.js';
import type { ConvolutionChoice, Layer, Scratch } from './layers/layer.js';
import { glorotUniform } from './layers/layer.js';
import { planModel, type ModelPlan } from './model-spec.js';
import { shapeSize, type ModelSpec, type TrainingSpec } from './spec.js';
import { Random, deriveSeed } from '../util/random.js';
import { AUGMENT_SEED_STREAM, augmentBatch, type AugmentationSpec, type AugmentBuffers } from './augmentation.js';

/** Each layer's weights start on a 64-byte boundary, so every kernel sees aligned weights. */
const ALIGN_FLOATS = 16;
const align = (floats: number): number => Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS;

export interface SequentialOptions {
  /** Largest batch the memory plan holds. */
  maxBatch: number;
  seed: number;
  /** How convolutions are computed (default 'auto': per layer shape, by measurement). */
  convolution?: ConvolutionChoice;
  /** False for forward passes only (evaluation, prediction): nothing reserved for backward. Default true. */
  training?: boolean;
}

/** Where one weight tensor lives: its block (parameters or state) and its float offset there. */
export interface WeightSlot {
  layer: number;
  /** Index into the layer's WeightSpec list (Keras order). */
  index: number;
  trainable: boolean;
  offset: number;
  size: number;
}

export class Sequential {
  readonly plan: ModelPlan;
  readonly layers: Layer[];
  readonly inputSize: number;
  readonly classes: number;
  readonly maxBatch: number;
  /** Floats in each of the parameter and gradient blocks (padding included). */
  readonly paramFloats: number;
  readonly params: Ptr;
  readonly grads: Ptr;
  /** Floats of non-trainable state (batch-norm moving statistics), and where it sits. */
  readonly stateFloats: number;
  readonly state: Ptr;
  /** Every weight tensor, layer by layer in Keras order. A layer's trainable tensors are contiguous. */
  readonly slots: WeightSlot[] = [];
  /** The batch, as f32 [batch, ...inputShape]. */
  readonly input: Ptr;
  /** The batch as bytes (u8 [batch, ...inputShape]): predict copies host images here for the gather kernel to widen and scale. */
  readonly inputBytes: Ptr;
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
  /** A training spec's augmentation and where it works (training models only), else undefined. */
  readonly augmentation: AugmentationSpec | undefined;
  readonly augmentBuffers: AugmentBuffers | undefined;
  /** A training spec's label smoothing ε (0: the plain loss). */
  readonly labelSmoothing: number;

  constructor(
    readonly engine: Engine,
    readonly spec: ModelSpec,
    options: SequentialOptions,
  ) {
    this.plan = planModel(spec);
    this.maxBatch = options.maxBatch;
    const settings = { convolution: options.convolution ?? 'auto' };
    this.layers = this.plan.layers.map((p) => p.definition.create(p.spec, p.inputShape, p.outputShape, settings));
    this.inputSize = shapeSize(spec.inputShape);
    this.classes = this.plan.classes;

    let params = 0;
    let state = 0;
    this.plan.layers.forEach((p, layer) => {
      params = align(params);
      state = align(state);
      p.weights.forEach((weight, index) => {
        const size = shapeSize(weight.shape);
        const offset = weight.trainable ? params : state;
        this.slots.push({ layer, index, trainable: weight.trainable, offset, size });
        if (weight.trainable) params += size;
        else state += size;
      });
    });
    this.paramFloats = align(params);
    this.stateFloats = align(state);
    this.params = engine.reserve(Math.max(this.paramFloats, 1) * 4, 'parameters');
    this.grads = engine.reserve(Math.max(this.paramFloats, 1) * 4, 'gradients');
    this.state = engine.reserve(Math.max(this.stateFloats, 1) * 4, 'layer state');

    const batch = this.maxBatch;
    const packFloats = Math.max(0, ...this.layers.map((layer) => layer.scratchFloats(engine.kernels, batch)));
    const packs = Array.from({ length: engine.threads }, () => engine.reserve(packFloats * 4, 'GEMM packing scratch'));
    this.scratch = { pack: packs[0], rngState: engine.reserve(16, 'dropout random state') };
    this.kernels = engine.pool ? splitKernels(engine.kernels, engine.pool, packs.slice(1)) : engine.kernels;
    this.kernels.rngSeed(this.scratch.rngState, deriveSeed(options.seed, 2));

    this.input = engine.reserve(batch * this.inputSize * 4, 'input batch');
    this.inputBytes = engine.reserve(batch * this.inputSize, 'input batch bytes');
    this.indices = engine.reserve(batch * 4, 'batch indices');
    this.labels = engine.reserve(batch * 4, 'batch labels');
    this.probs = engine.reserve(batch * this.classes * 4, 'probabilities');

    // Forward buffers: in-place layers write over their input.
    const outputs: Ptr[] = [];
    let current = this.input;
    for (const layer of this.layers) {
      current = layer.inPlace ? current : engine.reserve(batch * shapeSize(layer.outputShape) * 4, `${layer.spec.type} output`);
      outputs.push(current);
    }
    this.logits = current;
    // Backward buffers: only layers with parameters somewhere upstream need an input gradient.
    this.dLogits = engine.reserve(batch * this.classes * 4, 'logit gradients');
    const dOutputs: Ptr[] = [];
    const dInputs: Ptr[] = [];
    let dOutput = this.dLogits;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      dOutputs[i] = dOutput;
      dInputs[i] = this.computesInputGradient(i) ? (layer.inPlace ? dOutput : engine.reserve(batch * shapeSize(layer.inputShape) * 4, `${layer.spec.type} input gradient`)) : 0;
      dOutput = dInputs[i];
    }
    this.layers.forEach((layer, i) => {
      const slots = this.slots.filter((s) => s.layer === i);
      layer.bind({
        engine,
        kernels: this.kernels,
        maxBatch: batch,
        training: options.training ?? true,
        input: i === 0 ? this.input : outputs[i - 1],
        output: outputs[i],
        dInput: dInputs[i],
        dOutput: dOutputs[i],
        weights: slots.map((s) => (s.trainable ? this.params : this.state) + s.offset * 4),
        gradients: slots.map((s) => (s.trainable ? this.grads + s.offset * 4 : 0)),
        scratch: this.scratch,
      });
    });
    this.layers.forEach((layer, i) => layer.fold?.(this.layers[i - 1], this.layers[i + 1]));
    // Reserved last and only when asked for, so a model without them keeps its memory plan.
    const training = spec as Partial<TrainingSpec>;
    this.labelSmoothing = training.loss?.labelSmoothing ?? 0;
    this.augmentation = options.training === false ? undefined : training.augmentation;
    if (this.augmentation) {
      const state = engine.reserve(16, 'augmentation random state');
      this.kernels.rngSeed(state, deriveSeed(options.seed, AUGMENT_SEED_STREAM));
      this.augmentBuffers = { source: engine.reserve(batch * this.inputSize * 4, 'batch before augmentation'), output: this.input, state, shape: spec.inputShape };
    }
    this.initParams(options.seed);
  }

  /** Whether layer `index`'s backward computes its input gradient: only when a layer before it has parameters. */
  computesInputGradient(index: number): boolean {
    return index > this.plan.layers.findIndex((p) => p.weights.some((w) => w.trainable));
  }

  /** Keras's initial weights (Glorot-uniform kernels, zero biases, ...) from the seed alone. */
  initParams(seed: number): void {
    const random = new Random(deriveSeed(seed, 0));
    this.engine.f32(this.params, this.paramFloats).fill(0);
    this.engine.f32(this.state, this.stateFloats).fill(0);
    for (const slot of this.slots) {
      const weight = this.plan.layers[slot.layer].weights[slot.index];
      const values = this.engine.f32((slot.trainable ? this.params : this.state) + slot.offset * 4, slot.size);
      if (weight.init === 'glorotUniform') glorotUniform(values, weight.shape, random);
      else values.fill(weight.init === 'ones' ? 1 : 0);
    }
  }

  /** Trainable values (padding excluded). */
  get paramCount(): number {
    return this.slots.reduce((sum, s) => sum + (s.trainable ? s.size : 0), 0);
  }

  /**
   * Gathers samples `order[start .. start+count)` of a u8 dataset into the input and label buffers.
   * With `augmentStep` (a training step's optimizer step count) and an augmentation in the spec,
   * the images are augmented on the way, by draws keyed by that step.
   */
  loadBatch(images: Ptr, labels: Ptr, order: Int32Array, start: number, count: number, augmentStep?: number): void {
    if (count > this.maxBatch) throw new Error(`batch of ${count} exceeds the planned ${this.maxBatch}`);
    this.engine.i32(this.indices, count).set(order.subarray(start, start + count));
    const augment = augmentStep !== undefined && this.augmentation !== undefined;
    this.kernels.gatherImages(images, this.indices, augment ? this.augmentBuffers!.source : this.input, count, this.inputSize, 1 / 255);
    if (augment) augmentBatch(this.kernels, this.augmentation!, this.augmentBuffers!, count, augmentStep);
    this.kernels.gatherLabels(labels, this.indices, this.labels, count);
  }

  /**
   * Runs every layer, then the softmax; returns the summed cross-entropy over the batch (in
   * training, against the smoothed targets when the spec smooths its labels).
   */
  forward(batch: number, training: boolean): number {
    for (const layer of this.layers) layer.forward(batch, training);
    if (training && this.labelSmoothing > 0) return this.kernels.softmaxCrossEntropySmoothedForward(this.logits, this.labels, this.probs, batch, this.classes, this.labelSmoothing);
    return this.kernels.softmaxCrossEntropyForward(this.logits, this.labels, this.probs, batch, this.classes);
  }

  /** Gradients of the mean (training) loss over the batch, added into the gradient block. */
  backward(batch: number): void {
    if (this.labelSmoothing > 0) this.kernels.softmaxCrossEntropySmoothedBackward(this.probs, this.labels, this.dLogits, batch, this.classes, this.labelSmoothing, 1 / batch);
    else this.kernels.softmaxCrossEntropyBackward(this.probs, this.labels, this.dLogits, batch, this.classes, 1 / batch);
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
 * every activation and its gradient, and what a layer saves for backward of the same size
 * (argmax, mask), the batch before augmentation when the spec augments, and the input's bytes
 * for predict; the packing scratch and the weights do not grow with the batch. From the spec
 * alone, before anything is reserved.
 */
export function bytesPerSample(spec: ModelSpec): number {
  let floats = shapeSize(spec.inputShape);
  for (const layer of planModel(spec).layers) floats += 3 * shapeSize(layer.outputShape) + shapeSize(layer.inputShape);
  if ((spec as Partial<TrainingSpec>).augmentation) floats += shapeSize(spec.inputShape);
  return floats * 4 + shapeSize(spec.inputShape);
}

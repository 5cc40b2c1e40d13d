// What a layer type is. One module per type (conv2d.ts, dense.ts, ...) exports a LayerDefinition
// that owns every rule of that layer: its spec's fields, its output shape, its weights in Keras
// order, how it reads from and writes to a Keras topology, and the runtime object that calls its
// kernels. Nothing outside the module knows those rules; everything else iterates the registry
// (index.ts). ConvNetJS's one-object-per-layer, with llm.c's parameter slab underneath: a layer's
// weights are slices of the model's blocks, handed to it as pointers.
import type { Engine } from '../../engine/engine.js';
import type { Kernels, Ptr } from '../../engine/kernel-table.js';
import type { Shape } from '../spec.js';
import type { LayerSpec } from './index.js';
import type { Random } from '../../util/random.js';
import type { NormalizationToFold } from './batch-norm-fold.js';

/** One weight tensor of a layer, in the order Keras lists them. */
export interface WeightSpec {
  /** Keras's name for it (kernel, bias, gamma, moving_mean, ...). */
  name: string;
  shape: number[];
  init: 'glorotUniform' | 'zeros' | 'ones';
  /** False for state the optimizer leaves alone (batch normalization's moving statistics). */
  trainable: boolean;
}

/** Scratch shared by all layers (only one layer runs at a time). */
export interface Scratch {
  /** Packing space for GEMMs and convolutions, the largest any layer asks for (one per thread). */
  pack: Ptr;
  /** The dropout stream's state: Threefry key and block number (16 bytes). */
  rngState: Ptr;
}

/** How a model computes its convolutions: by measurement per shape, or one way throughout. */
export type ConvolutionChoice = 'auto' | 'direct' | 'winograd';

/** Everything a layer is connected to; every buffer holds the model's largest batch. */
export interface LayerContext {
  engine: Engine;
  kernels: Kernels;
  maxBatch: number;
  /** False for a model that only runs forward (inference): nothing is reserved for backward. */
  training: boolean;
  input: Ptr;
  output: Ptr;
  /** Gradient of the loss with respect to the input; 0 when nothing upstream needs it. */
  dInput: Ptr;
  dOutput: Ptr;
  /** One pointer per WeightSpec, in its order: trainable ones in the parameter block, the others in the state block. */
  weights: Ptr[];
  /** The gradient of each trainable weight (0 for the others). */
  gradients: Ptr[];
  scratch: Scratch;
}

/** Passes a layer may hand to a neighbour that can do them for it more cheaply (see `fold`). */
export interface Foldable {
  /** Skip this layer's ReLU backward (the next layer applies it); false when there is none to skip. */
  deferReluBackward?(): boolean;
  /** Skip this in-place layer's backward; returns the f32 mask the previous layer must multiply its incoming gradient by (0: nothing to defer). */
  deferMaskBackward?(): Ptr;
  /** Let the previous layer compute this 2x2 max pool's forward inline; returns where it must write. */
  deferPoolForward?(): { output: Ptr; argmax: Ptr } | null;
  /** Inference passes only (batch-norm-fold.ts): this batch norm's statistics, folded into the linear layer before it; it skips them. */
  deferInferenceNormalization?(): NormalizationToFold;
  /** Inference passes only: skip this ReLU (the layer before applies it); returns the layer after it, or null when there is no ReLU to skip. */
  deferInferenceRelu?(): { next: Layer | undefined } | null;
  /** Inference passes only: let a layer before compute this 2x2 max pool inline; returns where it must write. */
  deferInferencePoolForward?(): { output: Ptr; argmax: Ptr };
}

/** A layer of a built model. Backward adds (+=) into its weight gradients and writes dInput. */
export interface Layer extends Foldable {
  readonly spec: LayerSpec;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** True when the output aliases the input (dropout in place, flatten as a reshape). */
  readonly inPlace: boolean;
  /** Floats of packing scratch the layer's kernels need per thread (whatever the batch). */
  scratchFloats(kernels: Kernels, maxBatch: number): number;
  /** Connects the layer; reserves what it saves between forward and backward (argmax, mask). */
  bind(context: LayerContext): void;
  /** Once every layer is bound: take over passes of the neighbours, where this layer knows how. */
  fold?(previous: Layer | undefined, next: Layer | undefined): void;
  forward(batch: number, training: boolean): void;
  backward(batch: number): void;
}

export interface LayerDefinition<S extends { type: string } = LayerSpec> {
  /** The spec's `type`: tfjs-layers' factory name (conv2d, maxPooling2d, dense). */
  readonly type: S['type'];
  /** The Keras class in a topology (Conv2D) and the prefix of Keras's default layer names (conv2d_1). */
  readonly kerasClass: string;
  readonly kerasName: string;
  /** Checks a spec as a user wrote it and returns it whole; a SimdnetError names `where` and the field. */
  parse(raw: Record<string, unknown>, where: string): S;
  /** The Keras config fields of this layer (the topology writer adds name, trainable and the input shape). */
  toKeras(spec: S): Record<string, unknown>;
  /** The spec from a Keras config, refusing settings simdnet cannot run. */
  fromKeras(config: Record<string, unknown>, where: string): S;
  /** The output shape for an input shape: the one place this layer's shape arithmetic lives. */
  outputShape(spec: S, input: Shape, where: string): Shape;
  weights(spec: S, input: Shape): WeightSpec[];
  create(spec: S, inputShape: Shape, outputShape: Shape, settings: ModelSettings): Layer;
}

/** Choices that hold for a whole model. */
export interface ModelSettings {
  convolution: ConvolutionChoice;
}

/** Keras's glorot_uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)), fans from the shape as Keras computes them. */
export function glorotUniform(out: Float32Array, shape: number[], random: Random): void {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = shape[shape.length - 2] * receptive;
  const fanOut = shape[shape.length - 1] * receptive;
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (random.next() * 2 - 1) * limit;
}

/** A layer with nothing to save, no weights and no scratch: the defaults the simple layers share. */
export abstract class BaseLayer<S extends LayerSpec> implements Layer {
  readonly inPlace: boolean = false;
  protected context!: LayerContext;

  constructor(
    readonly spec: S,
    readonly inputShape: Shape,
    readonly outputShape: Shape,
  ) {}

  scratchFloats(_kernels: Kernels, _maxBatch: number): number {
    return 0;
  }

  bind(context: LayerContext): void {
    this.context = context;
  }

  protected get k(): Kernels {
    return this.context.kernels;
  }

  abstract forward(batch: number, training: boolean): void;
  abstract backward(batch: number): void;
}

// What every layer provides. Sequential lays out memory (activations and their gradients) and
// connects the layers; a layer reserves only what it saves for backward (argmax, mask).
import type { Engine } from '../../engine/engine.js';
import type { Kernels, Ptr } from '../../engine/kernels.js';
import type { LayerSpec, Shape } from '../spec.js';
import type { Random } from '../../util/random.js';

/** Buffers a layer reads and writes, each sized for the model's largest batch. */
export interface Wiring {
  input: Ptr;
  output: Ptr;
  /** Gradient of the loss with respect to the input; 0 when nothing upstream needs it. */
  dInput: Ptr;
  dOutput: Ptr;
}

/** Scratch shared by all layers (only one layer runs at a time). */
export interface Scratch {
  /** Packing space for GEMMs and convolutions, the largest any layer asks for (one per thread). */
  pack: Ptr;
  /** The dropout stream's state: Threefry key and block number (16 bytes). */
  rngState: Ptr;
}

export interface Layer {
  readonly spec: LayerSpec;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  /** Floats of weights and biases, in the order they sit in the parameter block. */
  readonly paramCount: number;
  /** True when the output aliases the input (dropout in place, flatten as a reshape). */
  readonly inPlace: boolean;
  /** Floats of packing scratch the layer's kernels need (per thread, whatever the batch). */
  scratchFloats(kernels: Kernels, maxBatch: number): number;
  /** Points the layer at its slice of the parameter and gradient blocks. */
  bindParams(params: Ptr, grads: Ptr): void;
  /** Glorot-uniform weights, zero biases, into `params` (the layer's slice). */
  initParams(params: Float32Array, random: Random): void;
  /** Reserves what the layer saves between forward and backward. */
  allocate(engine: Engine, maxBatch: number, wiring: Wiring, scratch: Scratch): void;
  forward(batch: number, training: boolean): void;
  /** Adds parameter gradients into the gradient block and writes dInput (if wired). */
  backward(batch: number): void;
}

/** Keras's glorot_uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(out: Float32Array, fanIn: number, fanOut: number, random: Random): void {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (random.next() * 2 - 1) * limit;
}

// Every wasm kernel, in one table: its arguments, what it returns and how it splits across threads.
// The TypeScript type of the kernels (`Kernels`), the ids that calls cross threads by, and the
// split versions ParallelKernels runs all derive from this table; a new kernel is one entry here.
//
// Every pointer is a byte offset into the one linear memory; f32 tensors are 16-byte aligned;
// sizes are element counts; no kernel allocates. Layouts: activations NHWC ([batch, height, width,
// channels]); dense weights [in, out] and conv weights [kernelH, kernelW, inChannels, outChannels],
// as Keras stores them. A kernel with no `split` always runs on the calling thread.
import {
  biasColumns,
  byRange,
  bySamples,
  byRows,
  convWeightGradient,
  dropoutSlices,
  elementwise,
  gemm,
  augmentSamples,
  type Args,
  type SplitRule,
} from './kernel-splits.js';

export type Ptr = number;

interface KernelEntry {
  readonly args: readonly string[];
  /** The kernel returns a number (the others return nothing). */
  readonly returns?: true;
  readonly split?: SplitRule;
}

const convSample = {
  input: (p: Args) => p.height * p.width * p.inChannels * 4,
  output: (p: Args) => p.outHeight * p.outWidth * p.outChannels * 4,
};
/** A 2x2 max pool's input and output (and argmax) bytes per sample. */
const poolSample = (p: Args) => p.height * p.width * p.channels * 4;
const pooledSample = (p: Args) => (p.height >> 1) * (p.width >> 1) * p.channels * 4;
/** A one-channel convolution's output bytes per sample. */
const singleOutput = (p: Args) => p.outHeight * p.outWidth * p.outChannels * 4;
const CONV = ['batch', 'height', 'width', 'inChannels', 'outHeight', 'outWidth', 'outChannels', 'kernel', 'stride'] as const;
/** A zero-padded copy's input (or cropped output) and padded bytes per sample. */
const unpaddedSample = (p: Args) => p.height * p.width * p.channels * 4;
const paddedSample = (p: Args) => p.paddedHeight * p.paddedWidth * p.channels * 4;

export const KERNELS = {
  /** 1 when this module was compiled with relaxed-SIMD FMA. */
  usesFma: { args: [], returns: true },

  // ---- GEMM (assembly/gemm.ts). Row-major, with leading dimensions (elements between rows).
  // accumulate = 0 overwrites C, 1 adds into C. `pack` is scratch of gemmPackFloats(k, n) floats.
  /** C[m×n] (+)= A[m×k] · B[k×n] */
  gemmNN: { args: ['a', 'b', 'c', 'm', 'k', 'n', 'lda', 'ldb', 'ldc', 'accumulate', 'pack'], split: gemm('gemmNN') },
  /** C[m×n] (+)= A[m×k] · B[n×k]ᵀ */
  gemmNT: { args: ['a', 'b', 'c', 'm', 'k', 'n', 'lda', 'ldb', 'ldc', 'accumulate', 'pack'], split: gemm('gemmNT') },
  /** C[m×n] (+)= A[k×m]ᵀ · B[k×n] */
  gemmTN: { args: ['a', 'b', 'c', 'm', 'k', 'n', 'lda', 'ldb', 'ldc', 'accumulate', 'pack'], split: gemm('gemmTN') },
  /** Floats of scratch the GEMMs need for a k×n right-hand side. */
  gemmPackFloats: { args: ['k', 'n'], returns: true },
  /** Benchmark helper: `iterations` rounds of 12 register-held f32x4 multiply-adds (96 flops each). */
  peakMaddLoop: { args: ['iterations'], returns: true },

  // ---- Convolution, valid padding, square kernel, windows `stride` pixels apart (assembly/conv-*.ts),
  // as an implicit GEMM: the im2col matrix A [batch·oh·ow, kernel²·inC] is built a cache-sized
  // block at a time. The output size (outHeight, outWidth) comes from the layer, which owns that
  // arithmetic; a 'same' layer runs these on its zero-padded copy of the input (zeroPad2d).
  // `pack` is per-thread scratch of conv2dScratchFloats floats.
  /** cols[batch·oh·ow, kernel·kernel·channels] = A from input[batch, height, width, channels]; columns ordered (ky, kx, c). For tests. */
  im2col: { args: ['input', 'cols', 'batch', 'height', 'width', 'channels', 'outHeight', 'outWidth', 'kernel', 'stride'] },
  /** dinput += the scatter of dcols back onto the image (the adjoint of im2col). For tests. */
  col2imAdd: { args: ['dcols', 'dinput', 'batch', 'height', 'width', 'channels', 'outHeight', 'outWidth', 'kernel', 'stride'] },
  /** 1 when conv2dForward can do a following 2x2 max pool inline for this output size. */
  conv2dPoolsInline: { args: ['outHeight', 'outWidth'], returns: true },
  /** Floats of per-thread scratch the three convolution kernels need for this layer shape. */
  conv2dScratchFloats: { args: ['height', 'width', 'inChannels', 'outChannels', 'kernel'], returns: true },
  /**
   * output[batch, oh, ow, outC] = act(A · weights + bias); act is ReLU when relu = 1, else the
   * identity. With pooled (and argmax) not 0, also the 2x2 max pool of the output, block by block
   * (oh and ow even, 2·ow <= 128; conv2dPoolsInline says whether a shape qualifies).
   */
  conv2dForward: {
    args: ['input', 'weights', 'bias', 'output', 'pack', ...CONV, 'relu', 'pooled', 'argmax'],
    split: bySamples({ ...convSample, pooled: (p) => convSample.output(p) / 4, argmax: (p) => convSample.output(p) / 4 }, { always: true }),
  },
  /**
   * dweights += Aᵀ · doutput over rows firstRow..+rowCount and columns firstCol..+colCount of the
   * [kernel²·inC, outC] weight matrix (0, depth, 0, outC for all of it; row `depth` is the bias,
   * stored right after the weights, whose gradient comes out of the same sweep).
   */
  conv2dBackwardWeights: { args: ['input', 'doutput', 'dweights', 'pack', ...CONV, 'firstRow', 'rowCount', 'firstCol', 'colCount'], split: convWeightGradient },
  /** dinput += col2im(doutput · weightsᵀ). */
  conv2dBackwardInput: { args: ['doutput', 'weights', 'dinput', 'pack', ...CONV], split: bySamples({ doutput: convSample.output, dinput: convSample.input }, { always: true }) },

  // ---- Zero padding of a 'same' convolution's input (assembly/conv-pad.ts): the image at (top,
  // left) of a [paddedHeight, paddedWidth] zero-bordered one, and back.
  /** padded = input with a zero border (overwrites all of padded). */
  zeroPad2d: {
    args: ['input', 'padded', 'batch', 'height', 'width', 'channels', 'paddedHeight', 'paddedWidth', 'top', 'left'],
    split: bySamples({ input: unpaddedSample, padded: paddedSample }),
  },
  /** output = padded's interior (zeroPad2d's adjoint: the input gradient from the padded one; overwrites output). */
  crop2d: {
    args: ['padded', 'output', 'batch', 'height', 'width', 'channels', 'paddedHeight', 'paddedWidth', 'top', 'left'],
    split: bySamples({ output: unpaddedSample, padded: paddedSample }),
  },

  // ---- Convolution of one-channel images (assembly/conv-single-channel.ts): valid, stride 1,
  // outChannels a multiple of 16; the weight gradient as per-image partials summed in image order.
  /** 1 when the one-channel kernels take this layer. */
  conv2dSingleChannelFits: { args: ['inChannels', 'outChannels'], returns: true },
  /** output = act(conv + bias); with pooled and argmax not 0 also the following 2x2 max pool, two rows at a time. */
  conv2dSingleChannelForward: {
    args: ['input', 'weights', 'bias', 'output', 'batch', 'height', 'width', 'outHeight', 'outWidth', 'outChannels', 'kernel', 'relu', 'pooled', 'argmax'],
    split: bySamples({ input: (p) => p.height * p.width * 4, output: singleOutput, pooled: (p) => singleOutput(p) / 4, argmax: (p) => singleOutput(p) / 4 }, { always: true }),
  },
  /** partial[b] = image b's weight gradient (kernel² taps, then the bias row when biasRow = 1), [batch, rows, outChannels]. */
  conv2dSingleChannelPartials: {
    args: ['input', 'doutput', 'partial', 'batch', 'height', 'width', 'outHeight', 'outWidth', 'outChannels', 'kernel', 'biasRow'],
    split: bySamples({ input: (p) => p.height * p.width * 4, doutput: singleOutput, partial: (p) => (p.kernel * p.kernel + p.biasRow) * p.outChannels * 4 }, { always: true }),
  },
  /** dweights[i] += Σ_b partial[b·stride + i], in image order, for i < count. */
  conv2dSumPartials: { args: ['partial', 'dweights', 'batch', 'count', 'stride'], split: elementwise(['partial', 'dweights']) },

  // ---- Convolution by Winograd's minimal filtering F(m×m, r×r) (assembly/winograd*.ts): stride
  // 1, zero padding `pad`, inC and outC multiples of 4; variant 0 F(2x2,3x3), 1 F(4x4,3x3), 2 F(2x2,5x5).
  /** Floats of per-thread scratch (`pack`) the Winograd kernels need. */
  winogradScratchFloats: { args: ['inChannels', 'outChannels', 'variant'], returns: true },
  /** Tiles per image of an outHeight×outWidth output, and n², the elements of a transformed tile. */
  winogradTiles: { args: ['outHeight', 'outWidth', 'variant'], returns: true },
  winogradTileElements: { args: ['variant'], returns: true },
  /** u[e, c, k] = (G g Gᵀ)[e] of the kernel [r, r, inC, outC]; flip 1: u[e, k, c] of the kernel rotated 180° (for the input gradient). */
  /** The transformed kernel U for a range of channels: input channels (flip 0) or output channels (flip 1). */
  winogradTransformKernel: { args: ['weights', 'u', 'pack', 'inChannels', 'outChannels', 'flip', 'variant', 'firstChannel', 'channelCount'], split: byRange('firstChannel', 'channelCount') },
  /** output = act(conv(input padded by `pad`) + bias) through the transform domain; bias 0: none. */
  winogradForward: {
    args: ['input', 'u', 'bias', 'output', 'pack', 'batch', 'height', 'width', 'inChannels', 'outHeight', 'outWidth', 'outChannels', 'pad', 'relu', 'variant'],
    split: bySamples({ input: convSample.input, output: convSample.output }),
  },
  /** The weight gradient's operands V[t, e, c] (input tiles) and Z[t, e, k] (doutput tiles) for every tile. */
  winogradGradientOperands: {
    args: ['input', 'doutput', 'v', 'z', 'pack', 'batch', 'height', 'width', 'inChannels', 'outHeight', 'outWidth', 'outChannels', 'tiles', 'elements', 'variant'],
    split: bySamples({ input: convSample.input, doutput: convSample.output, v: (p) => p.tiles * p.elements * p.inChannels * 4, z: (p) => p.tiles * p.elements * p.outChannels * 4 }),
  },
  /** dinput = winogradForward's input gradient (pad 0), its exact adjoint: Z·Uᵀ per element, then B·dV·Bᵀ scattered onto each tile. */
  winogradInputGradient: {
    args: ['z', 'u', 'dinput', 'pack', 'batch', 'height', 'width', 'inChannels', 'outHeight', 'outWidth', 'outChannels', 'tiles', 'elements', 'variant'],
    split: bySamples({ dinput: convSample.input, z: (p) => p.tiles * p.elements * p.outChannels * 4 }),
  },
  /** du[e] = V[e]ᵀ · Z[e] over all tiles, for elements first .. first+count-1 (each element's sum is one thread's). */
  winogradGradientProducts: { args: ['v', 'z', 'du', 'pack', 'tiles', 'inChannels', 'outChannels', 'first', 'count', 'variant'], split: byRange('first', 'count') },
  /** dweights[:, :, c, :] += Gᵀ du G for c = firstChannel .. +channelCount. */
  winogradGradientKernel: { args: ['du', 'dweights', 'pack', 'inChannels', 'outChannels', 'firstChannel', 'channelCount', 'variant'], split: byRange('firstChannel', 'channelCount') },

  // ---- Max pooling 2x2, stride 2, floor (assembly/pool.ts). argmax: i32 index into input, per
  // output element. Both passes always split by whole samples, the same way for a batch size, so
  // argmax indices (relative to each thread's slice) line up between forward and backward.
  /** indexBase is added to every argmax (0 unless pooling a block of a larger tensor). */
  maxPool2x2Forward: {
    args: ['input', 'output', 'argmax', 'batch', 'height', 'width', 'channels', 'indexBase'],
    split: bySamples({ input: poolSample, output: pooledSample, argmax: pooledSample }, { always: true }),
  },
  /**
   * dinput = doutput at each window's argmax, 0 elsewhere (overwrites all of dinput). positiveOf,
   * when not 0, is the pool's forward output: gradients of windows whose max is not > 0 become 0
   * (the backward of a ReLU before the pool, folded in). gradientMask, when not 0, multiplies
   * doutput first (the backward of a dropout after the pool, folded in).
   */
  maxPool2x2Backward: {
    args: ['doutput', 'argmax', 'dinput', 'batch', 'height', 'width', 'channels', 'positiveOf', 'gradientMask'],
    split: bySamples({ doutput: pooledSample, argmax: pooledSample, dinput: poolSample, positiveOf: pooledSample, gradientMask: pooledSample }, { always: true }),
  },

  /** Average pooling (assembly/pool.ts): output = window means; backward spreads doutput/pool² over each window (overwrites dinput). */
  averagePool2dForward: { args: ['input', 'output', 'batch', 'height', 'width', 'channels', 'pool', 'stride', 'outHeight', 'outWidth'], split: bySamples({ input: poolSample, output: (p) => p.outHeight * p.outWidth * p.channels * 4 }) },
  averagePool2dBackward: { args: ['doutput', 'dinput', 'batch', 'height', 'width', 'channels', 'pool', 'stride', 'outHeight', 'outWidth'], split: bySamples({ dinput: poolSample, doutput: (p) => p.outHeight * p.outWidth * p.channels * 4 }) },

  /** Global average pooling (assembly/pool.ts): output[b, c] = mean over pixels; backward writes doutput/pixels everywhere. */
  globalAveragePool2dForward: { args: ['input', 'output', 'batch', 'pixels', 'channels'], split: bySamples({ input: (p) => p.pixels * p.channels * 4, output: (p) => p.channels * 4 }) },
  globalAveragePool2dBackward: { args: ['doutput', 'dinput', 'batch', 'pixels', 'channels'], split: bySamples({ dinput: (p) => p.pixels * p.channels * 4, doutput: (p) => p.channels * 4 }) },

  // ---- Bias and activation (assembly/activation.ts). x is rows×cols, bias has cols entries.
  /** x = max(x + bias, 0), in place. */
  biasReluForward: { args: ['x', 'bias', 'rows', 'cols'], split: byRows({ x: (p) => p.cols * 4 }) },
  /** x = x + bias, in place. */
  biasForward: { args: ['x', 'bias', 'rows', 'cols'], split: byRows({ x: (p) => p.cols * 4 }) },
  /** dy = y > 0 ? dy : 0, in place; y is the ReLU's output. */
  reluBackward: { args: ['y', 'dy', 'count'] },
  /** dbias += column sums of dy. */
  biasBackward: { args: ['dy', 'dbias', 'rows', 'cols'], split: biasColumns('biasBackwardStrided', ['dy', 'dbias']) },
  /** biasBackward over `cols` columns of rows `ld` floats apart (a block of columns per thread). */
  biasBackwardStrided: { args: ['dy', 'dbias', 'rows', 'cols', 'ld'] },
  /** reluBackward then biasBackward in one sweep (the same arithmetic). */
  reluBiasBackward: { args: ['y', 'dy', 'dbias', 'rows', 'cols'], split: biasColumns('reluBiasBackwardStrided', ['y', 'dy', 'dbias']) },
  /** reluBiasBackward over `cols` columns of rows `ld` floats apart. */
  reluBiasBackwardStrided: { args: ['y', 'dy', 'dbias', 'rows', 'cols', 'ld'] },

  /** x = max(x, 0), in place (the Activation layer; its backward is reluBackward). Unsplit: see batch normalization below. */
  reluForward: { args: ['x', 'count'] },

  // ---- Batch normalization over the last axis (assembly/batch-norm.ts): x is rows × channels
  // (rows = batch·height·width), a call's channels `ld` floats apart row to row; gamma, beta, the
  // moving statistics and the saved mean and invstd are f32 per channel. Not split: the passes
  // stream memory (one thread moves ~17 GB/s), and the split that keeps each channel's sums one
  // thread's, 16-channel blocks per thread, measured slower at 2 threads than at 1 (2-core Xeon,
  // other processes on the cores, the pool choosing when to run alone): rows x channels 43,264 x
  // 32 (the cnn's first conv at batch 64) training forward 1.17 -> 1.68 ms, backward 1.27 -> 3.28,
  // inference 0.51 -> 0.93; 36,864 x 64 forward 1.33 -> 3.12; 9,216 x 64 0.30 -> 0.37; 10,816 x
  // 32 even; forced to split, 1.2x to 7x slower. reluForward split by elements measured even.
  // A call may still cover a block of channels (ld > channels), as a thread would.
  /** y = batch-normalized x; saves mean and invstd; moving -= (moving - batch statistic)·decay. */
  batchNormForwardTraining: { args: ['x', 'y', 'gamma', 'beta', 'movingMean', 'movingVariance', 'mean', 'invstd', 'rows', 'channels', 'ld', 'epsilon', 'decay'] },
  /** y = (x - movingMean)·gamma/√(movingVariance + epsilon) + beta; invstd is scratch. */
  batchNormForwardInference: { args: ['x', 'y', 'gamma', 'beta', 'movingMean', 'movingVariance', 'invstd', 'rows', 'channels', 'ld', 'epsilon'] },
  /** dgamma += Σ dy·x̂, dbeta += Σ dy; dx (when not 0) = gamma·invstd·(dy - mean(dy) - x̂·mean(dy·x̂)), overwritten; sumDy and sumDyXhat are scratch. */
  batchNormBackward: { args: ['x', 'dy', 'dx', 'gamma', 'mean', 'invstd', 'sumDy', 'sumDyXhat', 'dgamma', 'dbeta', 'rows', 'channels', 'ld'] },
  /** Folds an inference pass into the linear layer before it: foldedWeights = weights·s per column, foldedBias = (bias - movingMean)·s + beta, s = gamma/√(movingVariance + epsilon). */
  batchNormFoldWeights: { args: ['weights', 'bias', 'gamma', 'beta', 'movingMean', 'movingVariance', 'foldedWeights', 'foldedBias', 'rows', 'channels', 'epsilon'] },

  // ---- Softmax + cross-entropy (assembly/loss.ts). labels: i32 per row.
  /** probs = softmax(logits) row-wise (max-subtracted); returns the summed loss -Σ log p[label]. */
  softmaxCrossEntropyForward: { args: ['logits', 'labels', 'probs', 'rows', 'classes'], returns: true },
  /** dlogits = (probs - onehot(labels)) * scale (overwrites). */
  softmaxCrossEntropyBackward: { args: ['probs', 'labels', 'dlogits', 'rows', 'classes', 'scale'] },
  /** Number of rows whose largest logit/prob is at the label's column. */
  countCorrect: { args: ['scores', 'labels', 'rows', 'classes'], returns: true },

  // ---- Random numbers and dropout (assembly/random.ts, assembly/dropout.ts). The stream is
  // counter-based (Threefry-2x32-20): a 16-byte state of key and block number, one block per call.
  /** Seeds the 16-byte stream state at `state` from a 32-bit seed (block 0). */
  rngSeed: { args: ['state', 'seed'] },
  /** Moves the stream to its next block. */
  rngAdvance: { args: ['state'] },
  /** Word (0 or 1) of Threefry-2x32-20 of counter (c0, c1) under key (k0, k1); for tests. */
  threefry2x32: { args: ['c0', 'c1', 'k0', 'k1', 'word'], returns: true },
  /** Inverted dropout: mask[i] = 0 with probability rate, else 1/(1-rate); x *= mask; advances the stream. */
  dropoutForward: { args: ['x', 'mask', 'count', 'rate', 'state'], split: dropoutSlices },
  /** dropoutForward's elements first .. first+count-1 (first a multiple of 8), without advancing. */
  dropoutForwardSlice: { args: ['x', 'mask', 'count', 'rate', 'state', 'first'] },
  /** dy *= mask. */
  dropoutBackward: { args: ['dy', 'mask', 'count'], split: elementwise(['dy', 'mask']) },

  // ---- Optimizers (assembly/adam.ts, assembly/sgd.ts), each over a whole parameter block.
  /**
   * Keras-form Adam: m += (g-m)(1-β1); v += (g²-v)(1-β2); p -= decay·p; p -= alpha·m/(√v+ε), with
   * alpha = lr·√(1-β2^t)/(1-β1^t) computed by the caller; decay = lr·λ for AdamW, 0 for Adam.
   * Split across threads from 128K parameters: the cnn's 113K took 77 µs on one thread, 95 on two.
   */
  adamUpdate: { args: ['params', 'grads', 'm', 'v', 'count', 'alpha', 'beta1', 'beta2', 'epsilon', 'decay'], split: elementwise(['params', 'grads', 'm', 'v'], 4) },
  /** v = μ·v + g; p -= lr·v (nesterov 1: p -= lr·(g + μ·v)); velocity unused (may be 0) when μ = 0. */
  sgdUpdate: { args: ['params', 'grads', 'velocity', 'count', 'learningRate', 'momentum', 'nesterov'], split: elementwise(['params', 'grads', 'velocity']) },

  // ---- Batches (assembly/batch.ts).
  /** out[i, :] = images[indices[i], :] * scale, as f32; images are u8, pixels per image each. */
  gatherImages: { args: ['images', 'indices', 'out', 'count', 'pixels', 'scale'] },
  /** out[i] = labels[indices[i]] as i32; labels are u8. */
  gatherLabels: { args: ['labels', 'indices', 'out', 'count'] },

  // ---- Memory (assembly/memory.ts).
  /** Sets count f32 at ptr to zero. */
  zeroF32: { args: ['ptr', 'count'], split: elementwise(['ptr'], 4) },

  // ---- Data augmentation (assembly/augment.ts): per-sample shifts, rotations, zooms and mirrors,
  // drawn from the stream key at `state` by (step, first + sample), so the batch splits by samples.
  /** output[i] = input[i] shifted, rotated, zoomed, mirrored (f32 NHWC, not overlapping); see the kernel's header. */
  augmentImages: {
    args: ['input', 'output', 'state', 'batch', 'height', 'width', 'channels', 'translate', 'rotate', 'scale', 'flip', 'step', 'first'],
    split: augmentSamples,
  },
  /** out = f64[5]: sample `sample`'s shift x, shift y, degrees, zoom, mirror at step `step`, as augmentImages draws them. */
  augmentDraw: { args: ['out', 'state', 'step', 'sample', 'translate', 'rotate', 'scale', 'flip'] },

  // ---- Label smoothing (assembly/label-smoothing.ts): targets (1 - ε)·onehot + ε/classes.
  /** probs as softmaxCrossEntropyForward; returns the summed smoothed loss -Σ t·log p. */
  softmaxCrossEntropySmoothedForward: { args: ['logits', 'labels', 'probs', 'rows', 'classes', 'smoothing'], returns: true },
  /** dlogits = (probs - t) * scale (overwrites). */
  softmaxCrossEntropySmoothedBackward: { args: ['probs', 'labels', 'dlogits', 'rows', 'classes', 'smoothing', 'scale'] },
} as const satisfies Record<string, KernelEntry>;

export type KernelName = keyof typeof KERNELS;

type Numbers<A extends readonly string[]> = { -readonly [I in keyof A]: number };
type Signature<E> = E extends { args: infer A extends readonly string[] } ? (...args: Numbers<A>) => E extends { returns: true } ? number : void : never;

/** The kernels as the TypeScript side calls them (wasm exports, or their split versions). */
export type Kernels = { [K in KernelName]: Signature<(typeof KERNELS)[K]> };

export type { Args };

export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

/** Calls cross threads as (id, args); both sides number the kernels by their place in the table. */
export const KERNEL_ID = Object.fromEntries(KERNEL_NAMES.map((name, i) => [name, i])) as Record<KernelName, number>;

export function kernelEntry(name: KernelName): KernelEntry {
  return KERNELS[name];
}

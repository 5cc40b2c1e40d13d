// The wasm kernels as the TypeScript side sees them. Every pointer is a byte offset into the one
// linear memory; f32 tensors are 16-byte aligned; sizes are element counts. No kernel allocates.
// Layouts: activations NHWC ([batch, height, width, channels]); dense weights [in, out] and conv
// weights [kernelH, kernelW, inChannels, outChannels], as Keras stores them.
export type Ptr = number;

export interface Kernels {
  /** 1 when this module was compiled with relaxed-SIMD FMA. */
  usesFma(): number;

  // ---- GEMM (assembly/gemm.ts). Row-major, with leading dimensions (elements between rows).
  // accumulate = 0 overwrites C, 1 adds into C. `pack` is scratch of gemmPackFloats(k, n) floats.
  /** C[m×n] (+)= A[m×k] · B[k×n] */
  gemmNN(a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, lda: number, ldb: number, ldc: number, accumulate: number, pack: Ptr): void;
  /** C[m×n] (+)= A[m×k] · B[n×k]ᵀ */
  gemmNT(a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, lda: number, ldb: number, ldc: number, accumulate: number, pack: Ptr): void;
  /** C[m×n] (+)= A[k×m]ᵀ · B[k×n] */
  gemmTN(a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, lda: number, ldb: number, ldc: number, accumulate: number, pack: Ptr): void;
  /** Floats of scratch the GEMMs need for a k×n right-hand side. */
  gemmPackFloats(k: number, n: number): number;
  /** Benchmark helper: `iterations` rounds of 12 register-held f32x4 multiply-adds (96 flops each). */
  peakMaddLoop?(iterations: number): number;

  // ---- Convolution, valid padding, stride 1, square kernel (assembly/conv.ts), as an implicit
  // GEMM: the im2col matrix A [batch·oh·ow, kernel²·inC] is built a cache-sized block at a time.
  // `pack` is per-thread scratch of conv2dScratchFloats floats.
  /** cols[batch·oh·ow, kernel·kernel·channels] = A from input[batch, height, width, channels]; columns ordered (ky, kx, c). */
  im2col(input: Ptr, cols: Ptr, batch: number, height: number, width: number, channels: number, kernel: number): void;
  /** dinput += the scatter of dcols back onto the image (the adjoint of im2col). */
  col2imAdd(dcols: Ptr, dinput: Ptr, batch: number, height: number, width: number, channels: number, kernel: number): void;
  /** 1 when conv2dForward can do a following 2x2 max pool inline for this shape. */
  conv2dPoolsInline(height: number, width: number, kernel: number): number;
  /** Floats of per-thread scratch the three convolution kernels need for this layer shape. */
  conv2dScratchFloats(height: number, width: number, inChannels: number, outChannels: number, kernel: number): number;
  /**
   * output[batch, oh, ow, outC] = act(A · weights + bias); act is ReLU when relu = 1, else the
   * identity. With pooled (and argmax) not 0, also the 2x2 max pool of the output, block by block
   * (oh and ow even, 2·ow <= 128; conv2dPoolsInline says whether a shape qualifies).
   */
  conv2dForward(input: Ptr, weights: Ptr, bias: Ptr, output: Ptr, pack: Ptr, batch: number, height: number, width: number, inChannels: number, outChannels: number, kernel: number, relu: number, pooled: Ptr, argmax: Ptr): void;
  /**
   * dweights += Aᵀ · doutput over rows firstRow..+rowCount and columns firstCol..+colCount of the
   * [kernel²·inC, outC] weight matrix (0, depth, 0, outC for all of it).
   */
  conv2dBackwardWeights(input: Ptr, doutput: Ptr, dweights: Ptr, pack: Ptr, batch: number, height: number, width: number, inChannels: number, outChannels: number, kernel: number, firstRow: number, rowCount: number, firstCol: number, colCount: number): void;
  /** dinput += col2im(doutput · weightsᵀ). */
  conv2dBackwardInput(doutput: Ptr, weights: Ptr, dinput: Ptr, pack: Ptr, batch: number, height: number, width: number, inChannels: number, outChannels: number, kernel: number): void;

  // ---- Max pooling 2x2, stride 2, floor (assembly/pool.ts). argmax: i32 index into input, per output element.
  /** indexBase is added to every argmax (0 unless pooling a block of a larger tensor). */
  maxPool2x2Forward(input: Ptr, output: Ptr, argmax: Ptr, batch: number, height: number, width: number, channels: number, indexBase: number): void;
  /**
   * dinput = doutput at each window's argmax, 0 elsewhere (overwrites all of dinput). positiveOf,
   * when not 0, is the pool's forward output: gradients of windows whose max is not > 0 become 0
   * (the backward of a ReLU before the pool, folded in). gradientMask, when not 0, multiplies
   * doutput first (the backward of a dropout after the pool, folded in).
   */
  maxPool2x2Backward(doutput: Ptr, argmax: Ptr, dinput: Ptr, batch: number, height: number, width: number, channels: number, positiveOf: Ptr, gradientMask: Ptr): void;

  // ---- Bias and activation (assembly/activation.ts). x is rows×cols, bias has cols entries.
  /** x = max(x + bias, 0), in place. */
  biasReluForward(x: Ptr, bias: Ptr, rows: number, cols: number): void;
  /** x = x + bias, in place. */
  biasForward(x: Ptr, bias: Ptr, rows: number, cols: number): void;
  /** dy = y > 0 ? dy : 0, in place; y is the ReLU's output. */
  reluBackward(y: Ptr, dy: Ptr, count: number): void;
  /** dbias += column sums of dy. */
  biasBackward(dy: Ptr, dbias: Ptr, rows: number, cols: number): void;
  /** biasBackward over `cols` columns of rows `ld` floats apart (a block of columns per thread). */
  biasBackwardStrided(dy: Ptr, dbias: Ptr, rows: number, cols: number, ld: number): void;
  /** reluBackward then biasBackward in one sweep (the same arithmetic). */
  reluBiasBackward(y: Ptr, dy: Ptr, dbias: Ptr, rows: number, cols: number): void;
  /** reluBiasBackward over `cols` columns of rows `ld` floats apart. */
  reluBiasBackwardStrided(y: Ptr, dy: Ptr, dbias: Ptr, rows: number, cols: number, ld: number): void;

  // ---- Softmax + cross-entropy (assembly/loss.ts). labels: i32 per row.
  /** probs = softmax(logits) row-wise (max-subtracted); returns the summed loss -Σ log p[label]. */
  softmaxCrossEntropyForward(logits: Ptr, labels: Ptr, probs: Ptr, rows: number, classes: number): number;
  /** dlogits = (probs - onehot(labels)) * scale (overwrites). */
  softmaxCrossEntropyBackward(probs: Ptr, labels: Ptr, dlogits: Ptr, rows: number, classes: number, scale: number): void;
  /** Number of rows whose largest logit/prob is at the label's column. */
  countCorrect(scores: Ptr, labels: Ptr, rows: number, classes: number): number;

  // ---- Random numbers and dropout (assembly/random.ts, assembly/dropout.ts). The stream is
  // counter-based (Threefry-2x32-20): a 16-byte state of key and block number, one block per call.
  /** Seeds the 16-byte stream state at `state` from a 32-bit seed (block 0). */
  rngSeed(state: Ptr, seed: number): void;
  /** Moves the stream to its next block. */
  rngAdvance(state: Ptr): void;
  /** Word (0 or 1) of Threefry-2x32-20 of counter (c0, c1) under key (k0, k1); for tests. */
  threefry2x32?(c0: number, c1: number, k0: number, k1: number, word: number): number;
  /** Inverted dropout: mask[i] = 0 with probability rate, else 1/(1-rate); x *= mask; advances the stream. */
  dropoutForward(x: Ptr, mask: Ptr, count: number, rate: number, state: Ptr): void;
  /** dropoutForward's elements first .. first+count-1 (first a multiple of 8), without advancing. */
  dropoutForwardSlice(x: Ptr, mask: Ptr, count: number, rate: number, state: Ptr, first: number): void;
  /** dy *= mask. */
  dropoutBackward(dy: Ptr, mask: Ptr, count: number): void;

  // ---- Adam (assembly/adam.ts), Keras form: m += (g-m)(1-β1); v += (g²-v)(1-β2); p -= alpha·m/(√v+ε).
  /** alpha = lr·√(1-β2^t)/(1-β1^t), computed by the caller. */
  adamUpdate(params: Ptr, grads: Ptr, m: Ptr, v: Ptr, count: number, alpha: number, beta1: number, beta2: number, epsilon: number): void;

  // ---- Batches (assembly/batch.ts).
  /** out[i, :] = images[indices[i], :] * scale, as f32; images are u8, pixels per image each. */
  gatherImages(images: Ptr, indices: Ptr, out: Ptr, count: number, pixels: number, scale: number): void;
  /** out[i] = labels[indices[i]] as i32; labels are u8. */
  gatherLabels(labels: Ptr, indices: Ptr, out: Ptr, count: number): void;

  // ---- Memory helpers.
  /** Sets count f32 at ptr to zero. */
  zeroF32(ptr: Ptr, count: number): void;
}

// The kernels, split across a thread pool. Work is cut so that every output element is computed
// by exactly one thread with the same arithmetic as on one thread (GEMMs by whole rows or by
// 16-column panels, never by K; convolutions and pooling by samples), so results do not depend
// on the thread count. Bias gradients (reductions over rows) split by columns; dropout splits by
// elements, each thread drawing its slice's bits of the counter-based stream.
import type { Kernels, Ptr } from './kernels.js';
import type { ThreadPool } from './thread-pool.js';
import { PARALLEL_KERNELS, type ParallelKernel } from './kernel-table.js';

/** Below this many multiply-adds a GEMM runs on one thread: waking workers costs more. */
const MIN_PARALLEL_MACS = 1 << 16;
/** Below this many elements an element-wise kernel runs on one thread. */
const MIN_PARALLEL_ELEMENTS = 1 << 15;
const PANEL = 16;

type Gemm = 'gemmNN' | 'gemmNT' | 'gemmTN';

/** Splits [0, total) into `parts` ranges whose boundaries are multiples of `unit`. */
export function splitRange(total: number, parts: number, unit: number): [number, number][] {
  const units = Math.ceil(total / unit);
  const ranges: [number, number][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const end = Math.min(total, Math.round((units * (p + 1)) / parts) * unit);
    if (end > start) ranges.push([start, end]);
    start = Math.max(start, end);
  }
  return ranges;
}

export class ParallelKernels {
  /** GEMM packing scratch per thread; thread 0 uses the caller's. */
  private packs: Ptr[] = [];
  /** Argmax buffers of max-pool forwards that ran split by samples (see maxPool2x2Backward). */
  private readonly splitPools = new Set<Ptr>();

  constructor(
    private readonly base: Kernels,
    private readonly pool: ThreadPool,
  ) {}

  get threads(): number {
    return this.pool.threads;
  }

  /** Packing scratch for threads 1..n-1, each as large as the caller's. */
  setPacks(packs: Ptr[]): void {
    this.packs = packs;
  }

  private pack(thread: number, own: Ptr): Ptr {
    return thread === 0 ? own : this.packs[thread - 1];
  }

  private runRanges(ranges: [number, number][], queue: (thread: number, start: number, end: number) => [ParallelKernel, number[]]): void {
    this.pool.begin();
    ranges.forEach(([start, end], thread) => {
      const [kernel, args] = queue(thread, start, end);
      this.pool.queue(thread, kernel, args);
    });
    this.pool.run();
  }

  private gemm(kind: Gemm, a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, lda: number, ldb: number, ldc: number, accumulate: number, pack: Ptr): void {
    if (m * n * k < MIN_PARALLEL_MACS || (m < 4 && n <= PANEL)) return this.base[kind](a, b, c, m, k, n, lda, ldb, ldc, accumulate, pack);
    // Duplicated work is the operand each thread reads whole: split the larger output side.
    if (m >= n || n <= PANEL) {
      this.runRanges(splitRange(m, this.threads, 2), (t, i0, i1) => {
        const aRows = kind === 'gemmTN' ? a + i0 * 4 : a + i0 * lda * 4;
        return [kind, [aRows, b, c + i0 * ldc * 4, i1 - i0, k, n, lda, ldb, ldc, accumulate, this.pack(t, pack)]];
      });
    } else {
      this.runRanges(splitRange(n, this.threads, PANEL), (t, j0, j1) => {
        const bCols = kind === 'gemmNT' ? b + j0 * ldb * 4 : b + j0 * 4;
        return [kind, [a, bCols, c + j0 * 4, m, k, j1 - j0, lda, ldb, ldc, accumulate, this.pack(t, pack)]];
      });
    }
  }

  gemmNN(a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, lda: number, ldb: number, ldc: number, accumulate: number, pack: Ptr): void {
    this.gemm('gemmNN', a, b, c, m, k, n, lda, ldb, ldc, accumulate, pack);
  }

  gemmNT(a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, lda: number, ldb: number, ldc: number, accumulate: number, pack: Ptr): void {
    this.gemm('gemmNT', a, b, c, m, k, n, lda, ldb, ldc, accumulate, pack);
  }

  gemmTN(a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, lda: number, ldb: number, ldc: number, accumulate: number, pack: Ptr): void {
    this.gemm('gemmTN', a, b, c, m, k, n, lda, ldb, ldc, accumulate, pack);
  }

  /** Per-sample sizes, in bytes, of a convolution's input and output. */
  private convSampleBytes(height: number, width: number, inChannels: number, outChannels: number, kernel: number) {
    const outPixels = (height - kernel + 1) * (width - kernel + 1);
    return { input: height * width * inChannels * 4, output: outPixels * outChannels * 4 };
  }

  conv2dForward(input: Ptr, weights: Ptr, bias: Ptr, output: Ptr, pack: Ptr, batch: number, height: number, width: number, inChannels: number, outChannels: number, kernel: number, relu: number, pooled: Ptr, argmax: Ptr): void {
    const bytes = this.convSampleBytes(height, width, inChannels, outChannels, kernel);
    const pooledBytes = bytes.output / 4;
    // Pooled inline, argmax indices are relative to each thread's slice of samples, as a split
    // maxPool2x2Forward leaves them: the pool's backward must walk the same slices.
    if (argmax) this.splitPools.add(argmax);
    this.runRanges(splitRange(batch, this.threads, 1), (t, b0, b1) => [
      'conv2dForward',
      [
        input + b0 * bytes.input,
        weights,
        bias,
        output + b0 * bytes.output,
        this.pack(t, pack),
        b1 - b0,
        height,
        width,
        inChannels,
        outChannels,
        kernel,
        relu,
        pooled ? pooled + b0 * pooledBytes : 0,
        argmax ? argmax + b0 * pooledBytes : 0,
      ],
    ]);
  }

  /**
   * The sum runs over the batch, so threads take rows (patch entries) or 16-column panels of dW,
   * whichever side is larger, as a GEMM would: a first layer's 25 x 64 goes by panels, so each
   * thread reads only its half of the 9 MB output gradient (2.7 ms per step at 2 threads,
   * against 2.9 by rows).
   */
  conv2dBackwardWeights(input: Ptr, doutput: Ptr, dweights: Ptr, pack: Ptr, batch: number, height: number, width: number, inChannels: number, outChannels: number, kernel: number, firstRow: number, rowCount: number, firstCol: number, colCount: number): void {
    const geometry = [batch, height, width, inChannels, outChannels, kernel];
    const pixels = batch * (height - kernel + 1) * (width - kernel + 1);
    if (rowCount * colCount * pixels < MIN_PARALLEL_MACS) {
      return this.base.conv2dBackwardWeights(input, doutput, dweights, pack, batch, height, width, inChannels, outChannels, kernel, firstRow, rowCount, firstCol, colCount);
    }
    if (rowCount >= colCount || colCount <= PANEL) {
      this.runRanges(splitRange(rowCount, this.threads, 2), (t, i0, i1) => ['conv2dBackwardWeights', [input, doutput, dweights, this.pack(t, pack), ...geometry, firstRow + i0, i1 - i0, firstCol, colCount]]);
    } else {
      this.runRanges(splitRange(colCount, this.threads, PANEL), (t, j0, j1) => ['conv2dBackwardWeights', [input, doutput, dweights, this.pack(t, pack), ...geometry, firstRow, rowCount, firstCol + j0, j1 - j0]]);
    }
  }

  conv2dBackwardInput(doutput: Ptr, weights: Ptr, dinput: Ptr, pack: Ptr, batch: number, height: number, width: number, inChannels: number, outChannels: number, kernel: number): void {
    const bytes = this.convSampleBytes(height, width, inChannels, outChannels, kernel);
    this.runRanges(splitRange(batch, this.threads, 1), (t, b0, b1) => [
      'conv2dBackwardInput',
      [doutput + b0 * bytes.output, weights, dinput + b0 * bytes.input, this.pack(t, pack), b1 - b0, height, width, inChannels, outChannels, kernel],
    ]);
  }

  maxPool2x2Forward(input: Ptr, output: Ptr, argmax: Ptr, batch: number, height: number, width: number, channels: number, indexBase: number): void {
    const inSize = height * width * channels;
    const outSize = Math.floor(height / 2) * Math.floor(width / 2) * channels;
    if (batch * inSize < MIN_PARALLEL_ELEMENTS) {
      this.splitPools.delete(argmax);
      return this.base.maxPool2x2Forward(input, output, argmax, batch, height, width, channels, indexBase);
    }
    // argmax indices are relative to each slice's input, so backward must walk the same slices.
    this.splitPools.add(argmax);
    this.runRanges(splitRange(batch, this.threads, 1), (_t, b0, b1) => [
      'maxPool2x2Forward',
      [input + b0 * inSize * 4, output + b0 * outSize * 4, argmax + b0 * outSize * 4, b1 - b0, height, width, channels, indexBase],
    ]);
  }

  maxPool2x2Backward(doutput: Ptr, argmax: Ptr, dinput: Ptr, batch: number, height: number, width: number, channels: number, positiveOf: Ptr, gradientMask: Ptr): void {
    if (!this.splitPools.has(argmax)) return this.base.maxPool2x2Backward(doutput, argmax, dinput, batch, height, width, channels, positiveOf, gradientMask);
    const inSize = height * width * channels;
    const outSize = Math.floor(height / 2) * Math.floor(width / 2) * channels;
    this.runRanges(splitRange(batch, this.threads, 1), (_t, b0, b1) => [
      'maxPool2x2Backward',
      [
        doutput + b0 * outSize * 4,
        argmax + b0 * outSize * 4,
        dinput + b0 * inSize * 4,
        b1 - b0,
        height,
        width,
        channels,
        positiveOf ? positiveOf + b0 * outSize * 4 : 0,
        gradientMask ? gradientMask + b0 * outSize * 4 : 0,
      ],
    ]);
  }

  private rowwise(kernel: 'biasReluForward' | 'biasForward', x: Ptr, bias: Ptr, rows: number, cols: number): void {
    if (rows * cols < MIN_PARALLEL_ELEMENTS) return this.base[kernel](x, bias, rows, cols);
    this.runRanges(splitRange(rows, this.threads, 1), (_t, r0, r1) => [kernel, [x + r0 * cols * 4, bias, r1 - r0, cols]]);
  }

  biasReluForward(x: Ptr, bias: Ptr, rows: number, cols: number): void {
    this.rowwise('biasReluForward', x, bias, rows, cols);
  }

  biasForward(x: Ptr, bias: Ptr, rows: number, cols: number): void {
    this.rowwise('biasForward', x, bias, rows, cols);
  }

  /** Column sums are reductions over rows, so threads take blocks of columns, never of rows. */
  biasBackward(dy: Ptr, dbias: Ptr, rows: number, cols: number): void {
    if (rows * cols < MIN_PARALLEL_ELEMENTS || cols < 2 * PANEL) return this.base.biasBackward(dy, dbias, rows, cols);
    this.runRanges(splitRange(cols, this.threads, PANEL), (_t, c0, c1) => ['biasBackwardStrided', [dy + c0 * 4, dbias + c0 * 4, rows, c1 - c0, cols]]);
  }

  /** As biasBackward: threads take blocks of columns. */
  reluBiasBackward(y: Ptr, dy: Ptr, dbias: Ptr, rows: number, cols: number): void {
    if (rows * cols < MIN_PARALLEL_ELEMENTS || cols < 2 * PANEL) return this.base.reluBiasBackward(y, dy, dbias, rows, cols);
    this.runRanges(splitRange(cols, this.threads, PANEL), (_t, c0, c1) => ['reluBiasBackwardStrided', [y + c0 * 4, dy + c0 * 4, dbias + c0 * 4, rows, c1 - c0, cols]]);
  }

  /** Every slice draws the bits one thread would (the stream is counter-based); then the stream advances once. */
  dropoutForward(x: Ptr, mask: Ptr, count: number, rate: number, state: Ptr): void {
    if (count < MIN_PARALLEL_ELEMENTS) return this.base.dropoutForward(x, mask, count, rate, state);
    this.runRanges(splitRange(count, this.threads, 16), (_t, i0, i1) => ['dropoutForwardSlice', [x + i0 * 4, mask + i0 * 4, i1 - i0, rate, state, i0]]);
    this.base.rngAdvance(state);
  }

  dropoutBackward(dy: Ptr, mask: Ptr, count: number): void {
    if (count < MIN_PARALLEL_ELEMENTS) return this.base.dropoutBackward(dy, mask, count);
    this.runRanges(splitRange(count, this.threads, 16), (_t, i0, i1) => ['dropoutBackward', [dy + i0 * 4, mask + i0 * 4, i1 - i0]]);
  }

  zeroF32(ptr: Ptr, count: number): void {
    if (count < MIN_PARALLEL_ELEMENTS * 4) return this.base.zeroF32(ptr, count);
    this.runRanges(splitRange(count, this.threads, 16), (_t, i0, i1) => ['zeroF32', [ptr + i0 * 4, i1 - i0]]);
  }

  adamUpdate(params: Ptr, grads: Ptr, m: Ptr, v: Ptr, count: number, alpha: number, beta1: number, beta2: number, epsilon: number): void {
    if (count < MIN_PARALLEL_ELEMENTS) return this.base.adamUpdate(params, grads, m, v, count, alpha, beta1, beta2, epsilon);
    this.runRanges(splitRange(count, this.threads, 16), (_t, i0, i1) => [
      'adamUpdate',
      [params + i0 * 4, grads + i0 * 4, m + i0 * 4, v + i0 * 4, i1 - i0, alpha, beta1, beta2, epsilon],
    ]);
  }
}


/** A Kernels object whose heavy kernels run split across the pool; the rest are `base`'s. */
export function splitKernels(base: Kernels, pool: ThreadPool): { kernels: Kernels; parallel: ParallelKernels } {
  const parallel = new ParallelKernels(base, pool);
  const kernels = Object.create(base) as Kernels;
  // Every kernel a worker can run that ParallelKernels splits (biasBackwardStrided is only a piece).
  for (const name of PARALLEL_KERNELS) {
    const split = parallel[name as keyof ParallelKernels];
    if (typeof split === 'function') (kernels as unknown as Record<string, unknown>)[name] = split.bind(parallel);
  }
  return { kernels, parallel };
}

// How kernels split across threads. Work is cut so that every output element is computed by
// exactly one thread with the same arithmetic as on one thread (GEMMs by whole rows or by
// 16-column panels, never by K; convolutions and pooling by samples), so results do not depend on
// the thread count. Bias gradients (reductions over rows) split by columns; dropout splits by
// elements, each thread drawing its slice's bits of the counter-based stream.
//
// A rule maps a call's arguments (by name) to one call per thread, or to null when the work is too
// small to be worth waking the workers: then the kernel runs as it is on the calling thread.
/** A call's arguments by name. */
export type Args = Record<string, number>;
type Ptr = number;
/** A kernel's name in the table (kernel-table.ts checks these names when it runs them). */
type KernelName = string;

/**
 * The arguments of the call being split, read by name (p.m, p.batch). Behind the names is the
 * call's own argument list, so reading costs an array load and nothing is copied per call.
 */
export interface CallArgs extends Args {}

interface ArgsView {
  readonly values: number[];
  readonly index: Record<string, number>;
}

/** The call's argument list with some arguments changed: one thread's share of it. */
export function withArgs(p: CallArgs, changes: Args): number[] {
  const { values, index } = p as unknown as ArgsView;
  const out = values.slice();
  for (const name in changes) out[index[name]] = changes[name];
  return out;
}

/** A class whose instances read `values[i]` as argument names[i]: one per kernel, built once. */
export function argsView(names: readonly string[]): new (values: number[]) => CallArgs {
  const index: Record<string, number> = {};
  names.forEach((name, i) => (index[name] = i));
  class View {
    constructor(readonly values: number[]) {}
  }
  Object.defineProperty(View.prototype, 'index', { value: index });
  names.forEach((name, i) => Object.defineProperty(View.prototype, name, { get(this: View) { return this.values[i]; } }));
  return View as unknown as new (values: number[]) => CallArgs;
}

export interface SplitContext {
  readonly threads: number;
  /** Packing scratch of `thread`, as large as the caller's `own` (thread 0 uses `own`). */
  pack(thread: number, own: Ptr): Ptr;
}

/** One call per thread: the same kernel's argument list (from withArgs), or another kernel's arguments by name. */
export type SplitCall = [KernelName, number[] | Args];

export interface SplitCalls {
  calls: SplitCall[];
  /**
   * The calls must run as these parts even when the pool runs a job alone on one thread: a pair
   * of kernels that split alike (a max pool's argmax indices count from each part's start).
   */
  inParts?: boolean;
  /** Runs on the calling thread once every thread is done. */
  after?: [KernelName, Args];
}

export type SplitRule = (p: CallArgs, name: KernelName, context: SplitContext) => SplitCalls | null;

/**
 * Below this many multiply-adds (about 20 µs of work) a GEMM runs on one thread: the fork/join and
 * fetching operands from the other core's cache cost more. The cnn's 128->10 layer (82K MACs)
 * took 7 µs on one thread and 58 µs split in two (bench/profile.js, Intel Xeon).
 */
const MIN_PARALLEL_MACS = 1 << 20;
/** Below this many elements an element-wise kernel runs on one thread. */
const MIN_PARALLEL_ELEMENTS = 1 << 15;
const PANEL = 16;

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

/** Pointers advance by `bytes` (0 pointers stay 0: an optional operand). */
const advance = (ptr: Ptr, bytes: number): Ptr => (ptr ? ptr + bytes : 0);

/** GEMMs: the side of C that is larger, so the operand each thread reads whole is the smaller. */
export function gemm(kind: 'gemmNN' | 'gemmNT' | 'gemmTN'): SplitRule {
  return (p, _name, { threads, pack }) => {
    if (p.m * p.n * p.k < MIN_PARALLEL_MACS || (p.m < 4 && p.n <= PANEL)) return null;
    if (p.m >= p.n || p.n <= PANEL) {
      return {
        calls: splitRange(p.m, threads, 2).map(([i0, i1], t) => [
          kind,
          withArgs(p, { a: kind === 'gemmTN' ? p.a + i0 * 4 : p.a + i0 * p.lda * 4, c: p.c + i0 * p.ldc * 4, m: i1 - i0, pack: pack(t, p.pack) }),
        ]),
      };
    }
    return {
      calls: splitRange(p.n, threads, PANEL).map(([j0, j1], t) => [
        kind,
        withArgs(p, { b: kind === 'gemmNT' ? p.b + j0 * p.ldb * 4 : p.b + j0 * 4, c: p.c + j0 * 4, n: j1 - j0, pack: pack(t, p.pack) }),
      ]),
    };
  };
}

/**
 * Whole samples per thread: each pointer named in `perSample` advances by its bytes per sample;
 * `pack`, when the kernel has one, is the thread's own. Runs on one thread below
 * MIN_PARALLEL_ELEMENTS input floats unless `always` (a pair of kernels that must split alike).
 */
export function bySamples(perSample: Record<string, (p: Args) => number>, options: { always?: boolean } = {}): SplitRule {
  const pointers = Object.entries(perSample);
  return (p, name, { threads, pack }) => {
    if (threads < 2 || p.batch < 2) return null;
    if (!options.always && p.batch * (pointers[0][1](p) / 4) < MIN_PARALLEL_ELEMENTS) return null;
    const bytes = pointers.map(([arg, size]) => [arg, size(p)] as const);
    return {
      inParts: options.always,
      calls: splitRange(p.batch, threads, 1).map(([b0, b1], t): SplitCall => {
        const slice: Args = { batch: b1 - b0 };
        for (const [arg, size] of bytes) slice[arg] = advance(p[arg], b0 * size);
        if (p.pack !== undefined) slice.pack = pack(t, p.pack);
        return [name, withArgs(p, slice)];
      }),
    };
  };
}

/** Whole rows per thread (`rows` of them); pointers advance by their bytes per row. */
export function byRows(perRow: Record<string, (p: Args) => number>): SplitRule {
  return (p, name, { threads }) => {
    if (p.rows * p.cols < MIN_PARALLEL_ELEMENTS) return null;
    return {
      calls: splitRange(p.rows, threads, 1).map(([r0, r1]): SplitCall => {
        const slice: Args = { rows: r1 - r0 };
        for (const [arg, size] of Object.entries(perRow)) slice[arg] = p[arg] + r0 * size(p);
        return [name, withArgs(p, slice)];
      }),
    };
  };
}

/** Element-wise over f32 `count`: slices of 16 elements' multiples; `pointers` advance 4 bytes per element. */
export function elementwise(pointers: string[], minFactor = 1): SplitRule {
  return (p, name, { threads }) => {
    if (p.count < MIN_PARALLEL_ELEMENTS * minFactor) return null;
    return {
      calls: splitRange(p.count, threads, 16).map(([i0, i1]): SplitCall => {
        const slice: Args = { count: i1 - i0 };
        for (const arg of pointers) slice[arg] = advance(p[arg], i0 * 4);
        return [name, withArgs(p, slice)];
      }),
    };
  };
}

/** Column sums are reductions over rows, so threads take blocks of columns (the strided kernel), never rows. */
export function biasColumns(strided: KernelName, pointers: string[]): SplitRule {
  return (p, _name, { threads }) => {
    if (p.rows * p.cols < MIN_PARALLEL_ELEMENTS || p.cols < 2 * PANEL) return null;
    return {
      calls: splitRange(p.cols, threads, PANEL).map(([c0, c1]) => {
        const slice: Args = { rows: p.rows, cols: c1 - c0, ld: p.cols };
        for (const arg of pointers) slice[arg] = p[arg] + c0 * 4;
        return [strided, slice];
      }),
    };
  };
}

/** Every slice draws the bits one thread would (the stream is counter-based); then the stream advances once. */
export const dropoutSlices: SplitRule = (p, _name, { threads }) => {
  if (p.count < MIN_PARALLEL_ELEMENTS) return null;
  return {
    calls: splitRange(p.count, threads, 16).map(([i0, i1]) => [
      'dropoutForwardSlice',
      { x: p.x + i0 * 4, mask: p.mask + i0 * 4, count: i1 - i0, rate: p.rate, state: p.state, first: i0 },
    ]),
    after: ['rngAdvance', { state: p.state }],
  };
};

/**
 * The weight gradient sums over the batch, so threads take rows (patch entries) or 16-column
 * panels of dW, whichever side is larger, as a GEMM would: a first layer's 25 x 64 goes by panels,
 * so each thread reads only its half of the 9 MB output gradient (2.7 ms per step at 2 threads,
 * against 2.9 by rows).
 */
export const convWeightGradient: SplitRule = (p, name, { threads, pack }) => {
  if (p.rowCount * p.colCount * p.batch * p.outHeight * p.outWidth < MIN_PARALLEL_MACS) return null;
  if (p.rowCount >= p.colCount || p.colCount <= PANEL) {
    return { calls: splitRange(p.rowCount, threads, 2).map(([i0, i1], t) => [name, withArgs(p, { pack: pack(t, p.pack), firstRow: p.firstRow + i0, rowCount: i1 - i0 })]) };
  }
  return { calls: splitRange(p.colCount, threads, PANEL).map(([j0, j1], t) => [name, withArgs(p, { pack: pack(t, p.pack), firstCol: p.firstCol + j0, colCount: j1 - j0 })]) };
};

/**
 * A range of independent items (first .. first+count), whole items per thread, each thread with
 * its own packing scratch: the Winograd weight gradient's transform-domain elements and channels.
 */
export function byRange(first: string, count: string): SplitRule {
  return (p, name, { threads, pack }) => {
    if (p[count] < 2) return null;
    return { calls: splitRange(p[count], threads, 1).map(([i0, i1], t) => [name, withArgs(p, { [first]: p[first] + i0, [count]: i1 - i0, pack: pack(t, p.pack) })]) };
  };
}

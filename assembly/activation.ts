// Bias and ReLU. x and dy are row-major rows×cols (a dense layer's [batch, units], or a conv
// output viewed as [batch·h·w, channels]); bias has cols entries. Every pointer is 4-byte
// aligned and any count works: four columns per f32x4, a scalar tail for the rest.
import { reluLanes } from './simd';

/** x[r, c] = max(x[r, c] + bias[c], 0), in place. x: f32[rows, cols]; bias: f32[cols]. */
export function biasReluForward(x: usize, bias: usize, rows: i32, cols: i32): void {
  const cols4 = cols & ~3;
  let p = x;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < cols4; c += 4) {
      const q = p + (<usize>c << 2);
      v128.store(q, reluLanes(f32x4.add(v128.load(q), v128.load(bias + (<usize>c << 2)))));
    }
    for (; c < cols; c++) {
      const q = p + (<usize>c << 2);
      const v = load<f32>(q) + load<f32>(bias + (<usize>c << 2));
      store<f32>(q, v > 0 ? v : 0);
    }
    p += <usize>cols << 2;
  }
}

/** x[r, c] += bias[c], in place. x: f32[rows, cols]; bias: f32[cols]. */
export function biasForward(x: usize, bias: usize, rows: i32, cols: i32): void {
  const cols4 = cols & ~3;
  let p = x;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < cols4; c += 4) {
      const q = p + (<usize>c << 2);
      v128.store(q, f32x4.add(v128.load(q), v128.load(bias + (<usize>c << 2))));
    }
    for (; c < cols; c++) {
      const q = p + (<usize>c << 2);
      store<f32>(q, load<f32>(q) + load<f32>(bias + (<usize>c << 2)));
    }
    p += <usize>cols << 2;
  }
}

/** dy[i] = y[i] > 0 ? dy[i] : 0, in place; y is the ReLU's output. y, dy: f32[count]. */
export function reluBackward(y: usize, dy: usize, count: i32): void {
  const zero = f32x4.splat(0);
  const n4 = count & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(dy + off, v128.and(v128.load(dy + off), f32x4.gt(v128.load(y + off), zero)));
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    if (!(load<f32>(y + off) > 0)) store<f32>(dy + off, 0);
  }
}

/**
 * dbias[c] += Σ_r dy[r, c]. dy: f32[rows, cols]; dbias: f32[cols], accumulated into.
 * Each column's sum runs over rows in order, in a register, then is added once to dbias.
 */
export function biasBackward(dy: usize, dbias: usize, rows: i32, cols: i32): void {
  biasBackwardStrided(dy, dbias, rows, cols, cols);
}

/**
 * biasBackward over `cols` columns of a matrix whose rows are `ld` floats apart, so threads can
 * each take a block of columns. Columns go 16 at a time (four accumulators, one 64-byte line per
 * row): one column at a time per f32x4 walked the matrix once per 4 columns and waited on one
 * add chain (1.45 ms for the cnn's 43,264 x 32 first layer). Every column still sums its rows in
 * order from zero, so the result is the same bit for bit whatever the blocking.
 */
export function biasBackwardStrided(dy: usize, dbias: usize, rows: i32, cols: i32, ld: i32): void {
  const stride = <usize>ld << 2;
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let p = dy + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      a0 = f32x4.add(a0, v128.load(p));
      a1 = f32x4.add(a1, v128.load(p, 16));
      a2 = f32x4.add(a2, v128.load(p, 32));
      a3 = f32x4.add(a3, v128.load(p, 48));
      p += stride;
    }
    const q = dbias + (<usize>c << 2);
    v128.store(q, f32x4.add(v128.load(q), a0));
    v128.store(q, f32x4.add(v128.load(q, 16), a1), 16);
    v128.store(q, f32x4.add(v128.load(q, 32), a2), 32);
    v128.store(q, f32x4.add(v128.load(q, 48), a3), 48);
  }
  for (; c + 4 <= cols; c += 4) {
    let acc = f32x4.splat(0);
    let p = dy + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      acc = f32x4.add(acc, v128.load(p));
      p += stride;
    }
    const q = dbias + (<usize>c << 2);
    v128.store(q, f32x4.add(v128.load(q), acc));
  }
  for (; c < cols; c++) {
    let acc: f32 = 0;
    let p = dy + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      acc += load<f32>(p);
      p += stride;
    }
    const q = dbias + (<usize>c << 2);
    store<f32>(q, load<f32>(q) + acc);
  }
}

/**
 * The ReLU and bias backward passes in one sweep: dy[r, c] = y[r, c] > 0 ? dy[r, c] : 0 in place,
 * and dbias[c] += Σ_r of the masked dy[r, c]. Same arithmetic as reluBackward then biasBackward.
 * y, dy: f32[rows, cols]; dbias: f32[cols], accumulated into.
 */
export function reluBiasBackward(y: usize, dy: usize, dbias: usize, rows: i32, cols: i32): void {
  reluBiasBackwardStrided(y, dy, dbias, rows, cols, cols);
}

/** reluBiasBackward over `cols` columns of matrices whose rows are `ld` floats apart (a block of columns per thread). */
export function reluBiasBackwardStrided(y: usize, dy: usize, dbias: usize, rows: i32, cols: i32, ld: i32): void {
  const stride = <usize>ld << 2;
  const zero = f32x4.splat(0);
  let c = 0;
  // 32 columns per sweep down the rows: a thread's half of a 64-filter layer in one pass
  // (two 16-column passes took twice as long on a first layer that does not fit in L2).
  for (; c + 32 <= cols; c += 32) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
    const offset = <usize>c << 2;
    let p = dy + offset;
    let q = y + offset;
    for (let r = 0; r < rows; r++) {
      let g = v128.and(v128.load(p), f32x4.gt(v128.load(q), zero));
      v128.store(p, g);
      a0 = f32x4.add(a0, g);
      g = v128.and(v128.load(p, 16), f32x4.gt(v128.load(q, 16), zero));
      v128.store(p, g, 16);
      a1 = f32x4.add(a1, g);
      g = v128.and(v128.load(p, 32), f32x4.gt(v128.load(q, 32), zero));
      v128.store(p, g, 32);
      a2 = f32x4.add(a2, g);
      g = v128.and(v128.load(p, 48), f32x4.gt(v128.load(q, 48), zero));
      v128.store(p, g, 48);
      a3 = f32x4.add(a3, g);
      g = v128.and(v128.load(p, 64), f32x4.gt(v128.load(q, 64), zero));
      v128.store(p, g, 64);
      a4 = f32x4.add(a4, g);
      g = v128.and(v128.load(p, 80), f32x4.gt(v128.load(q, 80), zero));
      v128.store(p, g, 80);
      a5 = f32x4.add(a5, g);
      g = v128.and(v128.load(p, 96), f32x4.gt(v128.load(q, 96), zero));
      v128.store(p, g, 96);
      a6 = f32x4.add(a6, g);
      g = v128.and(v128.load(p, 112), f32x4.gt(v128.load(q, 112), zero));
      v128.store(p, g, 112);
      a7 = f32x4.add(a7, g);
      p += stride;
      q += stride;
    }
    const d = dbias + offset;
    v128.store(d, f32x4.add(v128.load(d), a0));
    v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), a3), 48);
    v128.store(d, f32x4.add(v128.load(d, 64), a4), 64);
    v128.store(d, f32x4.add(v128.load(d, 80), a5), 80);
    v128.store(d, f32x4.add(v128.load(d, 96), a6), 96);
    v128.store(d, f32x4.add(v128.load(d, 112), a7), 112);
  }
  for (; c + 16 <= cols; c += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    const offset = <usize>c << 2;
    let p = dy + offset;
    let q = y + offset;
    for (let r = 0; r < rows; r++) {
      const g0 = v128.and(v128.load(p), f32x4.gt(v128.load(q), zero));
      const g1 = v128.and(v128.load(p, 16), f32x4.gt(v128.load(q, 16), zero));
      const g2 = v128.and(v128.load(p, 32), f32x4.gt(v128.load(q, 32), zero));
      const g3 = v128.and(v128.load(p, 48), f32x4.gt(v128.load(q, 48), zero));
      v128.store(p, g0);
      v128.store(p, g1, 16);
      v128.store(p, g2, 32);
      v128.store(p, g3, 48);
      a0 = f32x4.add(a0, g0);
      a1 = f32x4.add(a1, g1);
      a2 = f32x4.add(a2, g2);
      a3 = f32x4.add(a3, g3);
      p += stride;
      q += stride;
    }
    const d = dbias + offset;
    v128.store(d, f32x4.add(v128.load(d), a0));
    v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), a3), 48);
  }
  for (; c + 4 <= cols; c += 4) {
    let acc = f32x4.splat(0);
    const offset = <usize>c << 2;
    let p = dy + offset;
    let q = y + offset;
    for (let r = 0; r < rows; r++) {
      const g = v128.and(v128.load(p), f32x4.gt(v128.load(q), zero));
      v128.store(p, g);
      acc = f32x4.add(acc, g);
      p += stride;
      q += stride;
    }
    const d = dbias + offset;
    v128.store(d, f32x4.add(v128.load(d), acc));
  }
  for (; c < cols; c++) {
    let acc: f32 = 0;
    const offset = <usize>c << 2;
    let p = dy + offset;
    let q = y + offset;
    for (let r = 0; r < rows; r++) {
      const g: f32 = load<f32>(q) > 0 ? load<f32>(p) : 0;
      store<f32>(p, g);
      acc += g;
      p += stride;
      q += stride;
    }
    const d = dbias + offset;
    store<f32>(d, load<f32>(d) + acc);
  }
}

/**
 * x[i] = max(x[i], 0), in place: the Activation layer's ReLU, as reluLanes computes it in every
 * lane (-0 stays -0, NaN stays NaN), the tail included. x: f32[count].
 */
export function reluForward(x: usize, count: i32): void {
  const n4 = count & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const q = x + (<usize>i << 2);
    v128.store(q, reluLanes(v128.load(q)));
  }
  for (; i < count; i++) {
    const q = x + (<usize>i << 2);
    const v = load<f32>(q);
    store<f32>(q, v < 0 ? 0 : v);
  }
}

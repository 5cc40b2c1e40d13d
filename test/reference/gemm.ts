// Scalar reference GEMMs for the kernel tests: plain triple loops, f64 accumulation. Row-major with
// leading dimensions, the same contract as assembly/gemm.ts. Each also returns, per element of C,
// Σ|a||b| over its dot product, the scale that rounding errors of the f32 kernels are relative to.

export interface GemmArgs {
  m: number;
  k: number;
  n: number;
  lda: number;
  ldb: number;
  ldc: number;
  accumulate: boolean;
}

export type GemmForm = 'NN' | 'NT' | 'TN';

/** C (+)= op(A)·op(B); returns |op(A)|·|op(B)| + |C₀| (when accumulating) per element of C, row-major m×n. */
export function gemmReference(form: GemmForm, a: ArrayLike<number>, b: ArrayLike<number>, c: Float64Array | Float32Array, args: GemmArgs): Float64Array {
  const { m, k, n, lda, ldb, ldc, accumulate } = args;
  const aAt = form === 'TN' ? (i: number, p: number) => a[p * lda + i] : (i: number, p: number) => a[i * lda + p];
  const bAt = form === 'NT' ? (p: number, j: number) => b[j * ldb + p] : (p: number, j: number) => b[p * ldb + j];
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let magnitude = 0;
      for (let p = 0; p < k; p++) {
        const prod = aAt(i, p) * bAt(p, j);
        sum += prod;
        magnitude += Math.abs(prod);
      }
      const old = accumulate ? c[i * ldc + j] : 0;
      c[i * ldc + j] = old + sum;
      scale[i * n + j] = magnitude + Math.abs(old);
    }
  }
  return scale;
}

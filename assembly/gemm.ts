// Single-precision GEMM, row-major with leading dimensions, in three forms (NN, NT, TN) that share
// one register-blocked micro-kernel.
//
// Pointers are byte offsets into linear memory; dimensions and leading dimensions count floats.
// C[m×n] is written with leading dimension ldc; accumulate = 0 overwrites C, 1 adds into it.
//
// Scheme (BLIS-like, one thread): K is cut into blocks of at most KC; for each block, B's rows
// k0..k0+kc are packed into 16-column, k-major panels (zero-padded on the right), then a 2×16
// micro-kernel sweeps row blocks of MC rows of A panel by panel, so a panel (kc·64 bytes) stays in
// L1 while the MC×kc block of A stays in L2. The micro-kernel holds 8 f32x4 accumulators,
// 4 B vectors and 2 A broadcasts: 14 of V8's ~15 usable xmm registers (WASM-NOTES: 2×16 was the
// fastest tile measured, 4×8 and 3×12 the alternatives that do not spill).
//
// A is never packed: its two rows are read through (rowStride, kStride), so NN reads A's rows
// (kStride = 4 bytes) and TN reads A's columns (rowStride = 4 bytes, kStride = lda·4), which are
// both single broadcasts from memory. NT transposes B while packing, 4×4 blocks at a time.
// Columns past the last full panel go through a 2×16 tile in the scratch, so every shape works.
import { madd } from './simd';

/** K block: a packed panel is KC·16 floats (32 KiB), one L1's worth; measured best at 256-512. */
export const KC: i32 = 512;
/**
 * TN's K block. Its A columns are read lda·4 bytes apart per step (unless packed), so a row pair
 * touches kc lines that the next 7 pairs reuse: 256 keeps them and the panel in L1 together
 * (measured +5-20% over 512 on the TN shapes of the models; NN and NT prefer 512).
 */
export const KC_TN: i32 = 256;
/** Row block: MC·KC floats of A (256 KiB) stay in L2 while the panels of a K block are swept. */
export const MC: i32 = 128;
/**
 * With this few rows of C a packed panel would be reused too little to pay for its packing: NN and
 * TN read B's full panels in place. Measured on a quiet machine for the conv1 weight gradients
 * (m = 9 and 25, FMA): 28.0 vs 27.7 and 33.2 vs 31.6 GFLOP/s packed, a small gain (the ~15% first
 * claimed here was measured under load).
 */
export const DIRECT_B_ROWS: i32 = 32;
/**
 * TN packs a block of Aᵀ into row pairs once A's rows are this long: reading two columns of A
 * steps lda·4 bytes per k and crosses a page every few steps (1600-long rows: +10%; 288: ±0).
 */
const PACK_A_LDA: i32 = 512;
/** Panel width in floats. */
const NR: i32 = 16;

// @ts-ignore: decorator
@inline
function roundUp16(n: i32): i32 {
  return (n + 15) & ~15;
}

/**
 * Floats of scratch the GEMMs need for a k×n right-hand side (B is k×n for NN and TN, n×k for
 * NT): one K block of B packed into 16-column panels, plus a 2×16 tile for the last columns.
 */
export function gemmPackFloats(k: i32, n: i32): i32 {
  return packedBFloats(k, n) + MC * min(max(k, 1), KC);
}

/** Floats of the packed K block of B plus the 2×16 tile for the last columns. */
// @ts-ignore: decorator
@inline
export function packedBFloats(k: i32, n: i32): i32 {
  return min(max(k, 1), KC) * roundUp16(max(n, 1)) + 2 * NR;
}

// ---- Micro-kernels. C rows are ldc bytes apart; B is a packed panel, 64 bytes per k step.

/**
 * C[2×16] (+)= A[2×kc] · B[kc×16]; A's element (r, kk) at a + r·rowStride + kk·kStride, B's row kk
 * at p + kk·bStep (64 for a packed panel, ldb·4 when B is read in place).
 */
// @ts-ignore: decorator
@inline
function tile2x16(a: usize, rowStride: usize, kStride: usize, p: usize, bStep: usize, kc: i32, c: usize, ldc: usize, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const c1 = c + ldc;
  if (add) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
    c10 = v128.load(c1); c11 = v128.load(c1, 16); c12 = v128.load(c1, 32); c13 = v128.load(c1, 48);
  }
  const a1off = rowStride;
  // The loop ends on B's pointer rather than a counter: one scalar instruction fewer per step
  // beside the 8 multiply-adds (+2% on a tile in L1).
  const pEnd = p + <usize>kc * bStep;
  while (p < pEnd) {
    const b0 = v128.load(p), b1 = v128.load(p, 16), b2 = v128.load(p, 32), b3 = v128.load(p, 48);
    const a0 = v128.load32_splat(a);
    const a1 = v128.load32_splat(a + a1off);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01); c02 = madd(a0, b2, c02); c03 = madd(a0, b3, c03);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11); c12 = madd(a1, b2, c12); c13 = madd(a1, b3, c13);
    a += kStride;
    p += bStep;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
}

/** C[1×16] (+)= A[1×kc] · B[kc×16], for the last row when m is odd. */
// @ts-ignore: decorator
@inline
function tile1x16(a: usize, kStride: usize, p: usize, bStep: usize, kc: i32, c: usize, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  if (add) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
  }
  for (let kk = 0; kk < kc; kk++) {
    const a0 = v128.load32_splat(a);
    c00 = madd(a0, v128.load(p), c00);
    c01 = madd(a0, v128.load(p, 16), c01);
    c02 = madd(a0, v128.load(p, 32), c02);
    c03 = madd(a0, v128.load(p, 48), c03);
    a += kStride;
    p += bStep;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
}

// ---- Packing of one K block of B into panels: panel q, step kk, column jj at
// pack[(q·kc + kk)·16 + jj]; columns past n are zero.

/** B is k×n row-major: rows k0..k0+kc, columns j0..n (j0 a multiple of 16) into panels from pack. */
export function packRows(b: usize, ldb: i32, k0: i32, kc: i32, j0: i32, n: i32, pack: usize): void {
  const full = (n - j0) >> 4;
  const rest = (n - j0) & 15;
  for (let kk = 0; kk < kc; kk++) {
    let src = b + (<usize>(k0 + kk) * <usize>ldb << 2) + (<usize>j0 << 2);
    let dst = pack + (<usize>kk << 6);
    const panelBytes = <usize>kc << 6;
    for (let q = 0; q < full; q++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      v128.store(dst, v128.load(src, 32), 32);
      v128.store(dst, v128.load(src, 48), 48);
      src += 64;
      dst += panelBytes;
    }
    if (rest) {
      v128.store(dst, f32x4.splat(0));
      v128.store(dst, f32x4.splat(0), 16);
      v128.store(dst, f32x4.splat(0), 32);
      v128.store(dst, f32x4.splat(0), 48);
      for (let jj = 0; jj < rest; jj++) store<f32>(dst + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
    }
  }
}

/** B is n×k row-major and the panel wants Bᵀ: columns k0..k0+kc of all n rows, 4×4 transposes. */
export function packColumns(b: usize, ldb: i32, k0: i32, kc: i32, n: i32, pack: usize): void {
  const panels = (n + 15) >> 4;
  const ldbBytes = <usize>ldb << 2;
  const kc4 = kc & ~3;
  for (let q = 0; q < panels; q++) {
    const panel = pack + (<usize>(q * kc) << 6);
    const j0 = q << 4;
    const width = min(n - j0, NR);
    const width4 = width & ~3;
    for (let jj = 0; jj < width4; jj += 4) {
      const row = b + <usize>(j0 + jj) * ldbBytes + (<usize>k0 << 2);
      const dstCol = panel + (<usize>jj << 2);
      for (let kk = 0; kk < kc4; kk += 4) {
        const src = row + (<usize>kk << 2);
        const r0 = v128.load(src);
        const r1 = v128.load(src + ldbBytes);
        const r2 = v128.load(src + 2 * ldbBytes);
        const r3 = v128.load(src + 3 * ldbBytes);
        const lo01 = f32x4.shuffle(r0, r1, 0, 4, 1, 5);
        const lo23 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const hi01 = f32x4.shuffle(r0, r1, 2, 6, 3, 7);
        const hi23 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
        const dst = dstCol + (<usize>kk << 6);
        v128.store(dst, f32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
        v128.store(dst, f32x4.shuffle(lo01, lo23, 2, 3, 6, 7), 64);
        v128.store(dst, f32x4.shuffle(hi01, hi23, 0, 1, 4, 5), 128);
        v128.store(dst, f32x4.shuffle(hi01, hi23, 2, 3, 6, 7), 192);
      }
      for (let kk = kc4; kk < kc; kk++) {
        const src = row + (<usize>kk << 2);
        const dst = dstCol + (<usize>kk << 6);
        store<f32>(dst, load<f32>(src));
        store<f32>(dst, load<f32>(src + ldbBytes), 4);
        store<f32>(dst, load<f32>(src + 2 * ldbBytes), 8);
        store<f32>(dst, load<f32>(src + 3 * ldbBytes), 12);
      }
    }
    for (let jj = width4; jj < NR; jj++) {
      const dstCol = panel + (<usize>jj << 2);
      if (jj < width) {
        const row = b + <usize>(j0 + jj) * ldbBytes + (<usize>k0 << 2);
        for (let kk = 0; kk < kc; kk++) store<f32>(dstCol + (<usize>kk << 6), load<f32>(row + (<usize>kk << 2)));
      } else {
        for (let kk = 0; kk < kc; kk++) store<f32>(dstCol + (<usize>kk << 6), 0);
      }
    }
  }
}

// ---- The driver shared by the three forms.

/**
 * Runs the micro-kernel over C[m×n] for one K block of kc steps. A's element (i, kk) is at
 * a + (i>>1)·aPair + (i&1)·aRow + kk·aK. Full 16-column panel q of B starts at b + q·bPanel with
 * bStep bytes per step; the last n%16 columns are a packed panel at `tail`, followed by a 2×16
 * scratch tile. `add` is false only for the first K block when C is overwritten.
 */
export function sweep(a: usize, aPair: usize, aRow: usize, aK: usize, b: usize, bPanel: usize, bStep: usize, tail: usize, kc: i32, c: usize, m: i32, n: i32, ldc: i32, add: bool): void {
  const ldcBytes = <usize>ldc << 2;
  const full = n >> 4;
  const rest = n & 15;
  const pairsEnd = m & ~1;
  for (let q = 0; q < full; q++) {
    const p = b + <usize>q * bPanel;
    const cq = c + (<usize>(q << 4) << 2);
    if (add) {
      for (let i = 0; i < pairsEnd; i += 2) {
        tile2x16(a + <usize>(i >> 1) * aPair, aRow, aK, p, bStep, kc, cq + <usize>i * ldcBytes, ldcBytes, true);
      }
      if (pairsEnd < m) tile1x16(a + <usize>(pairsEnd >> 1) * aPair, aK, p, bStep, kc, cq + <usize>pairsEnd * ldcBytes, true);
    } else {
      for (let i = 0; i < pairsEnd; i += 2) {
        tile2x16(a + <usize>(i >> 1) * aPair, aRow, aK, p, bStep, kc, cq + <usize>i * ldcBytes, ldcBytes, false);
      }
      if (pairsEnd < m) tile1x16(a + <usize>(pairsEnd >> 1) * aPair, aK, p, bStep, kc, cq + <usize>pairsEnd * ldcBytes, false);
    }
  }
  if (rest) {
    // Last columns: compute a full 2×16 tile in scratch, then copy the `rest` valid columns.
    const tile = tail + (<usize>kc << 6);
    const cq = c + (<usize>(full << 4) << 2);
    for (let i = 0; i < m; i += 2) {
      const rows = min(m - i, 2);
      const ci = cq + <usize>i * ldcBytes;
      if (add) {
        for (let r = 0; r < rows; r++) {
          for (let jj = 0; jj < rest; jj++) {
            store<f32>(tile + (<usize>(r * NR + jj) << 2), load<f32>(ci + <usize>r * ldcBytes + (<usize>jj << 2)));
          }
        }
      }
      if (rows == 2) tile2x16(a + <usize>(i >> 1) * aPair, aRow, aK, tail, 64, kc, tile, 64, add);
      else tile1x16(a + <usize>(i >> 1) * aPair, aK, tail, 64, kc, tile, add);
      for (let r = 0; r < rows; r++) {
        for (let jj = 0; jj < rest; jj++) {
          store<f32>(ci + <usize>r * ldcBytes + (<usize>jj << 2), load<f32>(tile + (<usize>(r * NR + jj) << 2)));
        }
      }
    }
  }
}

/**
 * Packs Aᵀ's rows i0..i0+mb (columns of A[k×m]) for K block k0..k0+kc in row pairs: pair p,
 * step kk, row r at packA[(p·kc + kk)·2 + r]. The micro-kernel then reads 8 consecutive bytes per
 * step instead of two floats lda·4 bytes apart from the last step's.
 */
function packTransposedA(a: usize, lda: i32, k0: i32, kc: i32, i0: i32, mb: i32, packA: usize): void {
  const ldaBytes = <usize>lda << 2;
  const src0 = a + <usize>k0 * ldaBytes + (<usize>i0 << 2);
  const pairBytes = <usize>kc << 3;
  const kc4 = kc & ~3;
  const mb4 = mb & ~3;
  for (let kk = 0; kk < kc4; kk += 4) {
    const row = src0 + <usize>kk * ldaBytes;
    let dst = packA + (<usize>kk << 3);
    for (let i = 0; i < mb4; i += 4) {
      const src = row + (<usize>i << 2);
      const r0 = v128.load(src);
      const r1 = v128.load(src + ldaBytes);
      const r2 = v128.load(src + 2 * ldaBytes);
      const r3 = v128.load(src + 3 * ldaBytes);
      v128.store(dst, i64x2.shuffle(r0, r1, 0, 2));
      v128.store(dst, i64x2.shuffle(r2, r3, 0, 2), 16);
      dst += pairBytes;
      v128.store(dst, i64x2.shuffle(r0, r1, 1, 3));
      v128.store(dst, i64x2.shuffle(r2, r3, 1, 3), 16);
      dst += pairBytes;
    }
  }
  for (let kk = 0; kk < kc; kk++) {
    const row = src0 + <usize>kk * ldaBytes;
    const from = kk < kc4 ? mb4 : 0;
    for (let i = from; i < mb; i++) {
      store<f32>(packA + <usize>(i >> 1) * pairBytes + (<usize>kk << 3) + (<usize>(i & 1) << 2), load<f32>(row + (<usize>i << 2)));
    }
  }
}

/** Sets C[m×n] to zero (k = 0 with accumulate = 0). */
function zeroC(c: usize, m: i32, n: i32, ldc: i32): void {
  for (let i = 0; i < m; i++) memory.fill(c + (<usize>i * <usize>ldc << 2), 0, <usize>n << 2);
}

/**
 * C[m×n] (+)= A[m×k] · B[k×n]. All row-major f32; lda, ldb, ldc are the distances between rows
 * in floats (≥ the row's length); a, b, c, pack are byte offsets. accumulate: 0 overwrites C,
 * 1 adds into C. pack: scratch of gemmPackFloats(k, n) floats, 16-byte aligned.
 */
export function gemmNN(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32, pack: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zeroC(c, m, n, ldc);
    return;
  }
  const ldaBytes = <usize>lda << 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const add = accumulate != 0 || k0 > 0;
    if (m <= DIRECT_B_ROWS) {
      packRows(b, ldb, k0, kc, n & ~15, n, pack);
      sweep(a + (<usize>k0 << 2), ldaBytes << 1, ldaBytes, 4, b + (<usize>k0 * <usize>ldb << 2), 64, <usize>ldb << 2, pack, kc, c, m, n, ldc, add);
      continue;
    }
    packRows(b, ldb, k0, kc, 0, n, pack);
    const tail = pack + (<usize>(n >> 4) * <usize>kc << 6);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const ai = a + <usize>i0 * ldaBytes + (<usize>k0 << 2);
      sweep(ai, ldaBytes << 1, ldaBytes, 4, pack, <usize>kc << 6, 64, tail, kc, c + (<usize>(i0 * ldc) << 2), min(MC, m - i0), n, ldc, add);
    }
  }
}

/**
 * C[m×n] (+)= A[m×k] · B[n×k]ᵀ. All row-major f32; lda, ldb, ldc in floats; byte-offset pointers.
 * accumulate: 0 overwrites C, 1 adds. pack: scratch of gemmPackFloats(k, n) floats.
 */
export function gemmNT(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32, pack: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zeroC(c, m, n, ldc);
    return;
  }
  const ldaBytes = <usize>lda << 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const add = accumulate != 0 || k0 > 0;
    packColumns(b, ldb, k0, kc, n, pack);
    const tail = pack + (<usize>(n >> 4) * <usize>kc << 6);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const ai = a + <usize>i0 * ldaBytes + (<usize>k0 << 2);
      sweep(ai, ldaBytes << 1, ldaBytes, 4, pack, <usize>kc << 6, 64, tail, kc, c + (<usize>(i0 * ldc) << 2), min(MC, m - i0), n, ldc, add);
    }
  }
}

/**
 * C[m×n] (+)= A[k×m]ᵀ · B[k×n]. All row-major f32; lda, ldb, ldc in floats; byte-offset pointers.
 * accumulate: 0 overwrites C, 1 adds. pack: scratch of gemmPackFloats(k, n) floats.
 */
export function gemmTN(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, lda: i32, ldb: i32, ldc: i32, accumulate: i32, pack: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) zeroC(c, m, n, ldc);
    return;
  }
  const ldaBytes = <usize>lda << 2;
  const packA = pack + (<usize>packedBFloats(k, n) << 2);
  for (let k0 = 0; k0 < k; k0 += KC_TN) {
    const kc = min(KC_TN, k - k0);
    const add = accumulate != 0 || k0 > 0;
    const a0 = a + <usize>k0 * ldaBytes;
    if (m <= DIRECT_B_ROWS) {
      packRows(b, ldb, k0, kc, n & ~15, n, pack);
      sweep(a0, 8, 4, ldaBytes, b + (<usize>k0 * <usize>ldb << 2), 64, <usize>ldb << 2, pack, kc, c, m, n, ldc, add);
      continue;
    }
    packRows(b, ldb, k0, kc, 0, n, pack);
    const tail = pack + (<usize>(n >> 4) * <usize>kc << 6);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mb = min(MC, m - i0);
      const ci = c + (<usize>(i0 * ldc) << 2);
      if (lda >= PACK_A_LDA) {
        packTransposedA(a, lda, k0, kc, i0, mb, packA);
        sweep(packA, <usize>kc << 3, 4, 8, pack, <usize>kc << 6, 64, tail, kc, ci, mb, n, ldc, add);
      } else {
        sweep(a0 + (<usize>i0 << 2), 8, 4, ldaBytes, pack, <usize>kc << 6, 64, tail, kc, ci, mb, n, ldc, add);
      }
    }
  }
}

// The transforms of Winograd's minimal filtering F(m×m, r×r) (Lavin & Gray, "Fast Algorithms
// for Convolutional Neural Networks", 2015): Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A over n×n input tiles,
// n = m + r - 1. The matrices come from the Cook-Toom construction at the points 0, ±1 (F(2,3))
// and 0, ±1, ±2 (F(4,3) and F(2,5)), with ∞ as the last point, as Lavin's wincnn builds them;
// scripts/winograd-matrices.py derives them in exact fractions and checks them.
//
// Every transform works on four channels at once: an element of a tile is one v128, and a tile
// is n×n (or m×m, r×r) of them at given strides.
import { madd } from './simd';

/** The variants, by number (the kernels' `variant` argument). */
export const F2X2_3X3: i32 = 0;
export const F4X4_3X3: i32 = 1;
export const F2X2_5X5: i32 = 2;

// Row-major: Aᵀ (m×n), A (n×m), G (n×r), Gᵀ (r×n), Bᵀ (n×n).
const AT_2_3: usize = memory.data<f32>([1, 1, 1, 0, 0, 1, -1, 1]);
const A_2_3: usize = memory.data<f32>([1, 0, 1, 1, 1, -1, 0, 1]);
const G_2_3: usize = memory.data<f32>([-1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1]);
const GT_2_3: usize = memory.data<f32>([-1, 0.5, 0.5, 0, 0, 0.5, -0.5, 0, 0, 0.5, 0.5, 1]);
const BT_2_3: usize = memory.data<f32>([-1, 0, 1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, -1, 0, 1]);

const AT_4_3: usize = memory.data<f32>([1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1]);
const A_4_3: usize = memory.data<f32>([1, 0, 0, 0, 1, 1, 1, 1, 1, -1, 1, -1, 1, 2, 4, 8, 1, -2, 4, -8, 0, 0, 0, 1]);
const G_4_3: usize = memory.data<f32>([
  0.25, 0, 0,
  -1.0 / 6, -1.0 / 6, -1.0 / 6,
  -1.0 / 6, 1.0 / 6, -1.0 / 6,
  1.0 / 24, 1.0 / 12, 1.0 / 6,
  1.0 / 24, -1.0 / 12, 1.0 / 6,
  0, 0, 1,
]);
const GT_4_3: usize = memory.data<f32>([
  0.25, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24, 0,
  0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0,
  0, -1.0 / 6, -1.0 / 6, 1.0 / 6, 1.0 / 6, 1,
]);
const BT_0_PM1_PM2: usize = memory.data<f32>([
  4, 0, -5, 0, 1, 0,
  0, -4, -4, 1, 1, 0,
  0, 4, -4, -1, 1, 0,
  0, -2, -1, 2, 1, 0,
  0, 2, -1, -2, 1, 0,
  0, 4, 0, -5, 0, 1,
]);

const AT_2_5: usize = memory.data<f32>([1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 1]);
const A_2_5: usize = memory.data<f32>([1, 0, 1, 1, 1, -1, 1, 2, 1, -2, 0, 1]);
const G_2_5: usize = memory.data<f32>([
  0.25, 0, 0, 0, 0,
  -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6,
  -1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
  1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3,
  1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3,
  0, 0, 0, 0, 1,
]);
const GT_2_5: usize = memory.data<f32>([
  0.25, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24, 0,
  0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0,
  0, -1.0 / 6, -1.0 / 6, 1.0 / 6, 1.0 / 6, 0,
  0, -1.0 / 6, 1.0 / 6, 1.0 / 3, -1.0 / 3, 0,
  0, -1.0 / 6, -1.0 / 6, 2.0 / 3, 2.0 / 3, 1,
]);

/** m: output tile side. */
// @ts-ignore: decorator
@inline
export function tileOut(variant: i32): i32 {
  return variant == F4X4_3X3 ? 4 : 2;
}

/** r: kernel side. */
// @ts-ignore: decorator
@inline
export function kernelSide(variant: i32): i32 {
  return variant == F2X2_5X5 ? 5 : 3;
}

/** n = m + r - 1: input tile side. */
// @ts-ignore: decorator
@inline
export function tileIn(variant: i32): i32 {
  return tileOut(variant) + kernelSide(variant) - 1;
}

// @ts-ignore: decorator
@inline
export function matrixAT(variant: i32): usize {
  return variant == F2X2_3X3 ? AT_2_3 : variant == F4X4_3X3 ? AT_4_3 : AT_2_5;
}

// @ts-ignore: decorator
@inline
export function matrixA(variant: i32): usize {
  return variant == F2X2_3X3 ? A_2_3 : variant == F4X4_3X3 ? A_4_3 : A_2_5;
}

// @ts-ignore: decorator
@inline
export function matrixG(variant: i32): usize {
  return variant == F2X2_3X3 ? G_2_3 : variant == F4X4_3X3 ? G_4_3 : G_2_5;
}

// @ts-ignore: decorator
@inline
export function matrixGT(variant: i32): usize {
  return variant == F2X2_3X3 ? GT_2_3 : variant == F4X4_3X3 ? GT_4_3 : GT_2_5;
}

// @ts-ignore: decorator
@inline
export function matrixBT(variant: i32): usize {
  return variant == F2X2_3X3 ? BT_2_3 : BT_0_PM1_PM2;
}

/**
 * dst(i, j) = Σ_k mat[i, k] · src(k, j) for i < rows, j < cols, k < inner, four channels per
 * element: src(k, j) is the v128 at src + k·sk + j·sj, dst(i, j) at dst + i·di + j·dj; mat is
 * row-major f32, rows×inner. Zero coefficients are skipped (the matrices are a third zeros).
 */
export function mulLeft(mat: usize, rows: i32, inner: i32, cols: i32, src: usize, sk: usize, sj: usize, dst: usize, di: usize, dj: usize): void {
  for (let i = 0; i < rows; i++) {
    const row = mat + (<usize>(i * inner) << 2);
    for (let j = 0; j < cols; j++) {
      let acc = f32x4.splat(0);
      let s = src + <usize>j * sj;
      for (let k = 0; k < inner; k++) {
        const c = load<f32>(row + (<usize>k << 2));
        if (c != 0) acc = madd(f32x4.splat(c), v128.load(s), acc);
        s += sk;
      }
      v128.store(dst + <usize>i * di + <usize>j * dj, acc);
    }
  }
}

/**
 * dst = L · X · Rᵀ, four channels per element: X is xr×xc at (xs, xi, xj) = (base, row stride,
 * column stride), L is lr×xr, R is rr×xc, dst lr×rr at (dst, di, dj). `tmp` holds lr×xc v128s.
 */
export function sandwich(l: usize, lr: i32, r: usize, rr: i32, xr: i32, xc: i32, x: usize, xi: usize, xj: usize, tmp: usize, dst: usize, di: usize, dj: usize): void {
  // T = L·X (lr×xc), stored row-major as v128s.
  mulLeft(l, lr, xr, xc, x, xi, xj, tmp, <usize>xc << 4, 16);
  // dst(i, j) = Σ_k T(i, k)·R(j, k): R times Tᵀ, written transposed.
  mulLeft(r, rr, xc, lr, tmp, 16, <usize>xc << 4, dst, dj, di);
}

// ---- The tile transforms, written out: the generic sandwich costs ~7x more on these (its inner
// loop loads each coefficient and skips zeros by a branch). Each 1-D transform reads its vectors
// `ss` bytes apart and writes its results `ds` bytes apart; the 2-D ones run it down the columns
// into `tmp`, then along tmp's rows into dst(i, j) = dst + i·di + j·dj.

/** Bᵀ for the points 0, ±1, ±2, ∞ (F(4x4,3x3) and F(2x2,5x5)), on six vectors. */
// @ts-ignore: decorator
@inline
function bt6(s: usize, ss: usize, d: usize, ds: usize): void {
  bt6Of(v128.load(s), v128.load(s + ss), v128.load(s + 2 * ss), v128.load(s + 3 * ss), v128.load(s + 4 * ss), v128.load(s + 5 * ss), d, ds);
}

/** bt6 of the first `count` vectors at s, the rest taken as zeros (a tile past the image's edge). */
// @ts-ignore: decorator
@inline
function bt6Clipped(s: usize, ss: usize, count: i32, d: usize, ds: usize): void {
  const zero = f32x4.splat(0);
  const d0 = count > 0 ? v128.load(s) : zero, d1 = count > 1 ? v128.load(s + ss) : zero, d2 = count > 2 ? v128.load(s + 2 * ss) : zero;
  const d3 = count > 3 ? v128.load(s + 3 * ss) : zero, d4 = count > 4 ? v128.load(s + 4 * ss) : zero, d5 = count > 5 ? v128.load(s + 5 * ss) : zero;
  bt6Of(d0, d1, d2, d3, d4, d5, d, ds);
}

// @ts-ignore: decorator
@inline
function bt6Of(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d: usize, ds: usize): void {
  const four = f32x4.splat(4), five = f32x4.splat(-5), two = f32x4.splat(2);
  const p = f32x4.add(d1, d2), q = f32x4.sub(d1, d2), u = f32x4.sub(d4, d2), w = f32x4.sub(d3, d1);
  v128.store(d, madd(five, d2, madd(four, d0, d4)));
  v128.store(d + ds, madd(f32x4.splat(-4), p, f32x4.add(d3, d4)));
  v128.store(d + 2 * ds, madd(four, q, f32x4.sub(d4, d3)));
  v128.store(d + 3 * ds, madd(two, w, u));
  v128.store(d + 4 * ds, madd(f32x4.splat(-2), w, u));
  v128.store(d + 5 * ds, madd(five, d3, madd(four, d1, d5)));
}

/** B = (Bᵀ)ᵀ for the same points: the adjoint of bt6, for the input gradient's scatter. */
// @ts-ignore: decorator
@inline
function b6(s: usize, ss: usize, d: usize, ds: usize): void {
  const v0 = v128.load(s), v1 = v128.load(s + ss), v2 = v128.load(s + 2 * ss);
  const v3 = v128.load(s + 3 * ss), v4 = v128.load(s + 4 * ss), v5 = v128.load(s + 5 * ss);
  const four = f32x4.splat(4), two = f32x4.splat(2);
  const p = f32x4.add(v1, v2), q = f32x4.sub(v2, v1), u = f32x4.add(v3, v4), w = f32x4.sub(v4, v3);
  v128.store(d, f32x4.mul(four, v0));
  v128.store(d + ds, madd(four, f32x4.add(q, v5), f32x4.mul(two, w)));
  v128.store(d + 2 * ds, f32x4.sub(madd(f32x4.splat(-4), p, f32x4.mul(f32x4.splat(-5), v0)), u));
  v128.store(d + 3 * ds, f32x4.sub(madd(f32x4.splat(-2), w, f32x4.sub(v1, v2)), f32x4.mul(f32x4.splat(5), v5)));
  v128.store(d + 4 * ds, f32x4.add(f32x4.add(v0, p), u));
  v128.store(d + 5 * ds, v5);
}

/** Bᵀ for the points 0, ±1, ∞ (F(2x2,3x3)), on four vectors. */
// @ts-ignore: decorator
@inline
function bt4(s: usize, ss: usize, d: usize, ds: usize): void {
  bt4Of(v128.load(s), v128.load(s + ss), v128.load(s + 2 * ss), v128.load(s + 3 * ss), d, ds);
}

/** bt4 of the first `count` vectors at s, the rest taken as zeros. */
// @ts-ignore: decorator
@inline
function bt4Clipped(s: usize, ss: usize, count: i32, d: usize, ds: usize): void {
  const zero = f32x4.splat(0);
  const d0 = count > 0 ? v128.load(s) : zero, d1 = count > 1 ? v128.load(s + ss) : zero;
  const d2 = count > 2 ? v128.load(s + 2 * ss) : zero, d3 = count > 3 ? v128.load(s + 3 * ss) : zero;
  bt4Of(d0, d1, d2, d3, d, ds);
}

// @ts-ignore: decorator
@inline
function bt4Of(d0: v128, d1: v128, d2: v128, d3: v128, d: usize, ds: usize): void {
  v128.store(d, f32x4.sub(d2, d0));
  v128.store(d + ds, f32x4.add(d1, d2));
  v128.store(d + 2 * ds, f32x4.sub(d2, d1));
  v128.store(d + 3 * ds, f32x4.sub(d3, d1));
}

/** B for F(2x2,3x3). */
// @ts-ignore: decorator
@inline
function b4(s: usize, ss: usize, d: usize, ds: usize): void {
  const v0 = v128.load(s), v1 = v128.load(s + ss), v2 = v128.load(s + 2 * ss), v3 = v128.load(s + 3 * ss);
  v128.store(d, f32x4.neg(v0));
  v128.store(d + ds, f32x4.sub(f32x4.sub(v1, v2), v3));
  v128.store(d + 2 * ds, f32x4.add(f32x4.add(v0, v1), v2));
  v128.store(d + 3 * ds, v3);
}

/** Aᵀ of F(2x2,5x5): six vectors to two. */
// @ts-ignore: decorator
@inline
function at6to2(s: usize, ss: usize, d: usize, ds: usize): void {
  const m0 = v128.load(s), m1 = v128.load(s + ss), m2 = v128.load(s + 2 * ss);
  const m3 = v128.load(s + 3 * ss), m4 = v128.load(s + 4 * ss), m5 = v128.load(s + 5 * ss);
  v128.store(d, f32x4.add(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), m4));
  v128.store(d + ds, f32x4.add(madd(f32x4.splat(2), f32x4.sub(m3, m4), f32x4.sub(m1, m2)), m5));
}

/** A of F(2x2,5x5): two vectors to six (the adjoint of at6to2). */
// @ts-ignore: decorator
@inline
function a2to6(s: usize, ss: usize, d: usize, ds: usize): void {
  const y0 = v128.load(s), y1 = v128.load(s + ss);
  const two = f32x4.splat(2);
  v128.store(d, y0);
  v128.store(d + ds, f32x4.add(y0, y1));
  v128.store(d + 2 * ds, f32x4.sub(y0, y1));
  v128.store(d + 3 * ds, madd(two, y1, y0));
  v128.store(d + 4 * ds, madd(f32x4.splat(-2), y1, y0));
  v128.store(d + 5 * ds, y1);
}

/** Aᵀ of F(4x4,3x3): six vectors to four. */
// @ts-ignore: decorator
@inline
function at6to4(s: usize, ss: usize, d: usize, ds: usize): void {
  const m0 = v128.load(s), m1 = v128.load(s + ss), m2 = v128.load(s + 2 * ss);
  const m3 = v128.load(s + 3 * ss), m4 = v128.load(s + 4 * ss), m5 = v128.load(s + 5 * ss);
  const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
  v128.store(d, f32x4.add(f32x4.add(m0, a), c));
  v128.store(d + ds, madd(f32x4.splat(2), e, b));
  v128.store(d + 2 * ds, madd(f32x4.splat(4), c, a));
  v128.store(d + 3 * ds, f32x4.add(madd(f32x4.splat(8), e, b), m5));
}

/** A of F(4x4,3x3): four vectors to six. */
// @ts-ignore: decorator
@inline
function a4to6(s: usize, ss: usize, d: usize, ds: usize): void {
  const y0 = v128.load(s), y1 = v128.load(s + ss), y2 = v128.load(s + 2 * ss), y3 = v128.load(s + 3 * ss);
  const even = f32x4.add(y0, y2), odd = f32x4.add(y1, y3);
  const even4 = madd(f32x4.splat(4), y2, y0), odd8 = madd(f32x4.splat(8), y3, f32x4.mul(f32x4.splat(2), y1));
  v128.store(d, y0);
  v128.store(d + ds, f32x4.add(even, odd));
  v128.store(d + 2 * ds, f32x4.sub(even, odd));
  v128.store(d + 3 * ds, f32x4.add(even4, odd8));
  v128.store(d + 4 * ds, f32x4.sub(even4, odd8));
  v128.store(d + 5 * ds, y3);
}

/** Aᵀ of F(2x2,3x3): four vectors to two. */
// @ts-ignore: decorator
@inline
function at4to2(s: usize, ss: usize, d: usize, ds: usize): void {
  const m0 = v128.load(s), m1 = v128.load(s + ss), m2 = v128.load(s + 2 * ss), m3 = v128.load(s + 3 * ss);
  v128.store(d, f32x4.add(f32x4.add(m0, m1), m2));
  v128.store(d + ds, f32x4.add(f32x4.sub(m1, m2), m3));
}

/** A of F(2x2,3x3): two vectors to four. */
// @ts-ignore: decorator
@inline
function a2to4(s: usize, ss: usize, d: usize, ds: usize): void {
  const y0 = v128.load(s), y1 = v128.load(s + ss);
  v128.store(d, y0);
  v128.store(d + ds, f32x4.add(y0, y1));
  v128.store(d + 2 * ds, f32x4.sub(y0, y1));
  v128.store(d + 3 * ds, y1);
}

/** V = Bᵀ d B for an n×n tile of four channels: d(i, j) at src + i·si + j·sj. tmp: n² v128s. */
export function inputTransform(variant: i32, src: usize, si: usize, sj: usize, tmp: usize, dst: usize, di: usize, dj: usize): void {
  if (variant == F2X2_3X3) {
    for (let j = 0; j < 4; j++) bt4(src + <usize>j * sj, si, tmp + (<usize>j << 4), 64);
    for (let i = 0; i < 4; i++) bt4(tmp + (<usize>i << 6), 16, dst + <usize>i * di, dj);
    return;
  }
  for (let j = 0; j < 6; j++) bt6(src + <usize>j * sj, si, tmp + (<usize>j << 4), 96);
  for (let i = 0; i < 6; i++) bt6(tmp + <usize>i * 96, 16, dst + <usize>i * di, dj);
}

/**
 * inputTransform of a tile of which only the first `rows` rows and `cols` columns lie in the
 * image (the others are read as zeros): the forward pass's tiles at the bottom and right edges,
 * read in place instead of through a zero-padded copy.
 */
export function inputTransformClipped(variant: i32, src: usize, si: usize, sj: usize, rows: i32, cols: i32, tmp: usize, dst: usize, di: usize, dj: usize): void {
  if (variant == F2X2_3X3) {
    for (let j = 0; j < 4; j++) bt4Clipped(src + <usize>j * sj, si, j < cols ? rows : 0, tmp + (<usize>j << 4), 64);
    for (let i = 0; i < 4; i++) bt4(tmp + (<usize>i << 6), 16, dst + <usize>i * di, dj);
    return;
  }
  for (let j = 0; j < 6; j++) bt6Clipped(src + <usize>j * sj, si, j < cols ? rows : 0, tmp + (<usize>j << 4), 96);
  for (let i = 0; i < 6; i++) bt6(tmp + <usize>i * 96, 16, dst + <usize>i * di, dj);
}

/** d = B V Bᵀ (the adjoint of inputTransform): V(i, j) at src + i·si + j·sj into dst (n×n, row stride n·16). */
export function inputTransformAdjoint(variant: i32, src: usize, si: usize, sj: usize, tmp: usize, dst: usize): void {
  if (variant == F2X2_3X3) {
    for (let j = 0; j < 4; j++) b4(src + <usize>j * sj, si, tmp + (<usize>j << 4), 64);
    for (let i = 0; i < 4; i++) b4(tmp + (<usize>i << 6), 16, dst + (<usize>i << 6), 16);
    return;
  }
  for (let j = 0; j < 6; j++) b6(src + <usize>j * sj, si, tmp + (<usize>j << 4), 96);
  for (let i = 0; i < 6; i++) b6(tmp + <usize>i * 96, 16, dst + <usize>i * 96, 16);
}

/** Y = Aᵀ M A: the n×n M(i, j) at src + i·si + j·sj to m×m, Y(i, j) at dst + i·(m·16) + j·16. */
export function outputTransform(variant: i32, src: usize, si: usize, sj: usize, tmp: usize, dst: usize): void {
  if (variant == F2X2_3X3) {
    for (let j = 0; j < 4; j++) at4to2(src + <usize>j * sj, si, tmp + (<usize>j << 4), 64);
    for (let i = 0; i < 2; i++) at4to2(tmp + (<usize>i << 6), 16, dst + (<usize>i << 5), 16);
  } else if (variant == F4X4_3X3) {
    for (let j = 0; j < 6; j++) at6to4(src + <usize>j * sj, si, tmp + (<usize>j << 4), 96);
    for (let i = 0; i < 4; i++) at6to4(tmp + <usize>i * 96, 16, dst + (<usize>i << 6), 16);
  } else {
    for (let j = 0; j < 6; j++) at6to2(src + <usize>j * sj, si, tmp + (<usize>j << 4), 96);
    for (let i = 0; i < 2; i++) at6to2(tmp + <usize>i * 96, 16, dst + (<usize>i << 5), 16);
  }
}

/** Z = A dY Aᵀ (the adjoint of outputTransform): the m×m dY(i, j) at src + i·(m·16) + j·16 to n×n at dst(i, j) = dst + i·di + j·dj. */
export function outputTransformAdjoint(variant: i32, src: usize, tmp: usize, dst: usize, di: usize, dj: usize): void {
  if (variant == F2X2_3X3) {
    for (let j = 0; j < 2; j++) a2to4(src + (<usize>j << 4), 32, tmp + (<usize>j << 4), 32);
    for (let i = 0; i < 4; i++) a2to4(tmp + (<usize>i << 5), 16, dst + <usize>i * di, dj);
  } else if (variant == F4X4_3X3) {
    for (let j = 0; j < 4; j++) a4to6(src + (<usize>j << 4), 64, tmp + (<usize>j << 4), 64);
    for (let i = 0; i < 6; i++) a4to6(tmp + (<usize>i << 6), 16, dst + <usize>i * di, dj);
  } else {
    for (let j = 0; j < 2; j++) a2to6(src + (<usize>j << 4), 32, tmp + (<usize>j << 4), 32);
    for (let i = 0; i < 6; i++) a2to6(tmp + (<usize>i << 5), 16, dst + <usize>i * di, dj);
  }
}

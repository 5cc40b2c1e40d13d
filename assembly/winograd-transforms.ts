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

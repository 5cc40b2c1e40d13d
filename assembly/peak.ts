// The measured peak the benchmarks compare every kernel against (bench/kernels.js).
import { madd } from './simd';

/**
 * Benchmark helper, not a kernel: `iterations` rounds of 12 independent f32x4 multiply-adds into
 * register-held accumulators, acc = madd(x, y, acc) as in the GEMM micro-kernel: 96 flops per
 * round. Measures the attainable peak of `madd`; the returned value only keeps the loop alive.
 * (In the plain build the product x·y is loop-invariant; a variant that negates x every round, so
 * the product cannot be hoisted, measured within 5%: the add port is the bound either way.)
 */
export function peakMaddLoop(iterations: i32): f32 {
  const x = f32x4.splat(0.999);
  const y = f32x4.splat(0.001);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5), a5 = f32x4.splat(6), a6 = f32x4.splat(7), a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    a0 = madd(x, y, a0); a1 = madd(x, y, a1); a2 = madd(x, y, a2); a3 = madd(x, y, a3);
    a4 = madd(x, y, a4); a5 = madd(x, y, a5); a6 = madd(x, y, a6); a7 = madd(x, y, a7);
    a8 = madd(x, y, a8); a9 = madd(x, y, a9); a10 = madd(x, y, a10); a11 = madd(x, y, a11);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
    f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)), f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

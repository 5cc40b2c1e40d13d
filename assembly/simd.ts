// Shared SIMD helpers. The build chooses FMA or separate multiply and add at compile time:
// ASC_FEATURE_RELAXED_SIMD is a constant, so the untaken branch costs nothing.

/** acc + a * b, lane-wise. Fused (one rounding) in the relaxed-SIMD build, two roundings otherwise. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, acc);
  } else {
    return f32x4.add(acc, f32x4.mul(a, b));
  }
}

/** 1 in the FMA build, 0 in the plain SIMD build: lets the host check which variant it loaded. */
export function usesFma(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

/**
 * max(v, 0) lane-wise as `v < 0 ? 0 : v`: one maxps on x64, where f32x4.max (which must also
 * order -0 below +0) takes eight instructions. NaN stays NaN, so a diverging training is still
 * caught at its loss; the only difference from f32x4.max(v, 0) is that -0 stays -0.
 */
// @ts-ignore: decorator
@inline
export function reluLanes(v: v128): v128 {
  return f32x4.pmax(v, f32x4.splat(0));
}

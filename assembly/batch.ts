// Mini-batch assembly from a dataset held as u8 in linear memory (MNIST-style: one byte per
// pixel, one byte per label), gathered by a shuffled index list.

/**
 * out[i, p] = images[indices[i]·pixels + p] · scale as f32, for i < count, p < pixels.
 * images: u8[n, pixels]; indices: i32[count]; out: f32[count, pixels] (4-byte aligned).
 * Sixteen pixels per step widen u8 → u16 → u32 → f32; a scalar tail takes the rest.
 */
export function gatherImages(images: usize, indices: usize, out: usize, count: i32, pixels: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  const p16 = pixels & ~15;
  let dst = out;
  for (let i = 0; i < count; i++) {
    const src = images + <usize>load<i32>(indices + (<usize>i << 2)) * <usize>pixels;
    let p = 0;
    for (; p < p16; p += 16) {
      const bytes = v128.load(src + <usize>p);
      const lo = i16x8.extend_low_i8x16_u(bytes);
      const hi = i16x8.extend_high_i8x16_u(bytes);
      const d = dst + (<usize>p << 2);
      v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), s));
      v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), s), 16);
      v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), s), 32);
      v128.store(d, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), s), 48);
    }
    for (; p < pixels; p++) {
      store<f32>(dst + (<usize>p << 2), <f32>load<u8>(src + <usize>p) * scale);
    }
    dst += <usize>pixels << 2;
  }
}

/** out[i] = labels[indices[i]] as i32, for i < count. labels: u8[n]; indices, out: i32[count]. */
export function gatherLabels(labels: usize, indices: usize, out: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const off = <usize>i << 2;
    store<i32>(out + off, <i32>load<u8>(labels + <usize>load<i32>(indices + off)));
  }
}

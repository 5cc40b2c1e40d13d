// xoshiro128** (Blackman & Vigna) with its 16-byte state in linear memory, so the TypeScript
// side owns it and can checkpoint or restore it by copying four u32.
// State layout: u32 s0, s1, s2, s3 at state, state+4, state+8, state+12.

/**
 * Seeds the 16-byte xoshiro128** state at `state` (4-byte aligned) from a 32-bit seed: four
 * successive splitmix32 outputs, so nearby seeds give unrelated streams. Never all-zero.
 */
export function rngSeed(state: usize, seed: u32): void {
  let x = seed;
  for (let i = 0; i < 4; i++) {
    x += 0x9e3779b9;
    let z = x;
    z = (z ^ (z >>> 16)) * 0x85ebca6b;
    z = (z ^ (z >>> 13)) * 0xc2b2ae35;
    z ^= z >>> 16;
    store<u32>(state + (<usize>i << 2), z);
  }
  if ((load<u32>(state) | load<u32>(state, 4) | load<u32>(state, 8) | load<u32>(state, 12)) == 0) {
    store<u32>(state, 1);
  }
}

/** Next u32 of the stream whose state is at `state`; advances the state. */
// @ts-ignore: decorator
@inline
export function rngNextU32(state: usize): u32 {
  let s0 = load<u32>(state);
  let s1 = load<u32>(state, 4);
  let s2 = load<u32>(state, 8);
  let s3 = load<u32>(state, 12);
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  return result;
}

/** Next f32 uniform in [0, 1): the top 24 bits of a u32 times 2^-24 (exact in f32). */
// @ts-ignore: decorator
@inline
export function rngNextF32(state: usize): f32 {
  return <f32>(rngNextU32(state) >>> 8) * (1.0 / 16777216.0);
}

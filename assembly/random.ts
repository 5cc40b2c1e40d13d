// Counter-based random numbers: Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011; the Random123 default). Every draw is a pure function
// of (key, counter), so any slice of a stream can be computed on any thread in any order and
// a split run gives the same bits as one thread; the rounds are only add, rotate and xor, which
// f32x4-era SIMD has for four counters at once.
//
// The 16-byte stream state in linear memory (the TypeScript side checkpoints it by copying it):
//   u32 key0, key1   from the seed
//   u32 block        which block of the stream the next call draws from (one block per call)
//   u32 unused       0
// Within a block, group g (8 draws) is the two output words of counters (4g .. 4g+3, block):
// draw 8g + l is word 0 of counter 4g + l and draw 8g + 4 + l is word 1 (l < 4).

/** Threefry's key-schedule parity constant (Skein's C240 for 32-bit words). */
const PARITY: u32 = 0x1bd11bda;

/** The third key word of Threefry's schedule. */
// @ts-ignore: decorator
@inline
export function keyParity(k0: u32, k1: u32): u32 {
  return PARITY ^ k0 ^ k1;
}

// @ts-ignore: decorator
@inline
function rotation(round: i32): u32 {
  // R_32x2 of Threefry-2x32, round mod 8.
  switch (round & 7) {
    case 0: return 13;
    case 1: return 15;
    case 2: return 26;
    case 3: return 6;
    case 4: return 17;
    case 5: return 29;
    case 6: return 16;
    default: return 24;
  }
}

/**
 * Word `word` (0 or 1) of Threefry-2x32-20 of counter (c0, c1) under key (k0, k1). Matches the
 * Random123 known-answer vectors; the vector form below computes the same bits four at a time.
 */
export function threefry2x32(c0: u32, c1: u32, k0: u32, k1: u32, word: i32): u32 {
  const k2 = keyParity(k0, k1);
  let x0 = c0 + k0;
  let x1 = c1 + k1;
  for (let r = 0; r < 20; r++) {
    x0 += x1;
    x1 = rotl<u32>(x1, rotation(r));
    x1 ^= x0;
    if ((r & 3) == 3) {
      const s = <u32>((r + 1) >> 2);
      const i = s % 3;
      x0 += i == 0 ? k0 : i == 1 ? k1 : k2;
      x1 += (i == 0 ? k1 : i == 1 ? k2 : k0) + s;
    }
  }
  return word == 0 ? x0 : x1;
}

/** One Threefry round on four counters: x0 += x1; x1 = rotl(x1, r) ^ x0. */
// @ts-ignore: decorator
@inline
function mixRound(x0: v128, x1: v128, r: i32): v128 {
  return v128.xor(v128.or(i32x4.shl(x1, r), i32x4.shr_u(x1, 32 - r)), x0);
}

/**
 * Threefry-2x32-20 of the four counters (lanes of c0, c1) under the key schedule (k0, k1, k2):
 * returns word 0 and stores word 1 at `word1` (16 bytes the caller owns; a function returns one
 * value, and a store the caller reloads at once costs next to nothing).
 */
// @ts-ignore: decorator
@inline
export function threefry4(c0: v128, c1: u32, k0: u32, k1: u32, k2: u32, word1: usize): v128 {
  const vk0 = i32x4.splat(k0), vk1 = i32x4.splat(k1), vk2 = i32x4.splat(k2);
  let x0 = i32x4.add(c0, vk0);
  let x1 = i32x4.splat(c1 + k1);
  // Rounds 0-3, inject (k1, k2 + 1); 4-7, (k2, k0 + 2); 8-11, (k0, k1 + 3); 12-15, (k1, k2 + 4); 16-19, (k2, k0 + 5).
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 13);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 15);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 26);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 6);
  x0 = i32x4.add(x0, vk1); x1 = i32x4.add(x1, i32x4.splat(k2 + 1));
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 17);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 29);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 16);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 24);
  x0 = i32x4.add(x0, vk2); x1 = i32x4.add(x1, i32x4.splat(k0 + 2));
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 13);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 15);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 26);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 6);
  x0 = i32x4.add(x0, vk0); x1 = i32x4.add(x1, i32x4.splat(k1 + 3));
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 17);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 29);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 16);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 24);
  x0 = i32x4.add(x0, vk1); x1 = i32x4.add(x1, i32x4.splat(k2 + 4));
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 13);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 15);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 26);
  x0 = i32x4.add(x0, x1); x1 = mixRound(x0, x1, 6);
  x0 = i32x4.add(x0, vk2); x1 = i32x4.add(x1, i32x4.splat(k0 + 5));
  v128.store(word1, x1);
  return x0;
}

/**
 * Seeds the stream state at `state` (16 bytes, 4-byte aligned) from a 32-bit seed: the key is two
 * successive splitmix32 outputs (nearby seeds give unrelated keys), the block counter starts at 0.
 */
export function rngSeed(state: usize, seed: u32): void {
  let x = seed;
  for (let i = 0; i < 2; i++) {
    x += 0x9e3779b9;
    let z = x;
    z = (z ^ (z >>> 16)) * 0x85ebca6b;
    z = (z ^ (z >>> 13)) * 0xc2b2ae35;
    z ^= z >>> 16;
    store<u32>(state + (<usize>i << 2), z);
  }
  store<u32>(state, 0, 8);
  store<u32>(state, 0, 12);
}

/** Moves the stream to its next block: every call that draws uses a fresh block. */
export function rngAdvance(state: usize): void {
  store<u32>(state, load<u32>(state, 8) + 1, 8);
}

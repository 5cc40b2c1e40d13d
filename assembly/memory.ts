// Memory helpers the trainer calls once per step (e.g. zeroing every gradient in one fill).

/** Sets `count` f32 at byte offset `ptr` (4-byte aligned) to +0. */
export function zeroF32(ptr: usize, count: i32): void {
  if (count <= 0) return;
  memory.fill(ptr, 0, <usize>count << 2);
}

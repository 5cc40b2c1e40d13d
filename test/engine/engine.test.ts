import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

describe('Engine', () => {
  it('loads the FMA and plain builds on request', async () => {
    const fma = await Engine.create({ fma: 'on' });
    const plain = await Engine.create({ fma: 'off' });
    expect(fma.kernels.usesFma()).toBe(1);
    expect(plain.kernels.usesFma()).toBe(0);
  });

  it('reserves aligned regions that survive memory growth', async () => {
    const engine = await Engine.create({ fma: 'off' });
    const a = engine.storeF32([1, 2, 3]);
    const b = engine.reserve(10 * 2 ** 20);
    expect(a % 64).toBe(0);
    expect(b % 64).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 64);
    expect(Array.from(engine.f32(a, 3))).toEqual([1, 2, 3]);
  });

  it('loads the shared-memory build', async () => {
    const engine = await Engine.create({ fma: 'auto', shared: true });
    expect(engine.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

// PNG files as model input (src/io/png-input.ts): the model's height x width, grey or RGB, the
// inversion guess matched to the training data's background, and colour never inverted on auto.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readPngForModel } from '../../src/io/png-input.js';
import { tempDir } from '../data/fixtures.js';
import { writePng } from '../data/folder-fixtures.js';

const dir = tempDir('simdnet-png-');
const file = (name: string) => join(dir, name);

describe('readPngForModel', () => {
  it('resizes to a square grey input as before: a light-on-dark image stays, dark-on-light is inverted', () => {
    writePng(file('light.png'), 56, 56, (x, y) => (x >= 20 && x < 36 && y >= 20 && y < 36 ? [255, 255, 255] : [0, 0, 0]), 0);
    const light = readPngForModel(file('light.png'), [28, 28, 1]);
    expect(light.pixels).toHaveLength(784);
    expect([light.inverted, light.width, light.height]).toEqual([false, 56, 56]);
    expect(light.pixels[14 * 28 + 14]).toBe(1);
    expect(light.pixels[0]).toBe(0);
    writePng(file('dark.png'), 56, 56, (x, y) => (x >= 20 && x < 36 && y >= 20 && y < 36 ? [0, 0, 0] : [255, 255, 255]), 2);
    const dark = readPngForModel(file('dark.png'), [28, 28, 1]);
    expect(dark.inverted).toBe(true);
    expect(Array.from(dark.pixels)).toEqual(Array.from(light.pixels));
  });

  it('matches a model trained on dark-on-light images the other way round', () => {
    expect(readPngForModel(file('dark.png'), [28, 28, 1], { background: 'light' }).inverted).toBe(false);
    expect(readPngForModel(file('light.png'), [28, 28, 1], { background: 'light' }).inverted).toBe(true);
    expect(readPngForModel(file('light.png'), [28, 28, 1], { invert: 'no', background: 'light' }).inverted).toBe(false);
  });

  it('gives a non-square model its height x width, padding to its aspect ratio', () => {
    writePng(file('wide.png'), 8, 4, () => [200, 200, 200], 0);
    const image = readPngForModel(file('wide.png'), [2, 4, 1], { invert: 'no' });
    expect(image.pixels).toHaveLength(8);
    expect(Array.from(image.pixels, (v) => Math.round(v * 255))).toEqual(new Array(8).fill(200));
    const tall = readPngForModel(file('wide.png'), [4, 4, 1], { invert: 'no' });
    expect(Array.from(tall.pixels, (v) => Math.round(v * 255))).toEqual(new Array(16).fill(200));
  });

  it('reads RGB for a colour model, alpha onto black, never inverted on auto', () => {
    writePng(file('colour.png'), 4, 4, (x) => (x < 2 ? [255, 0, 0, 255] : [0, 0, 255, 128]), 6);
    const image = readPngForModel(file('colour.png'), [2, 2, 3]);
    expect(image.inverted).toBe(false);
    expect(Array.from(image.pixels, (v) => Math.round(v * 255))).toEqual([255, 0, 0, 0, 0, 128, 255, 0, 0, 0, 0, 128]);
    writePng(file('white.png'), 4, 4, () => [250, 250, 250], 2);
    expect(readPngForModel(file('white.png'), [2, 2, 3]).inverted).toBe(false);
    const inverted = readPngForModel(file('white.png'), [2, 2, 3], { invert: 'yes' });
    expect(inverted.inverted).toBe(true);
    expect(Array.from(inverted.pixels, (v) => Math.round(v * 255))).toEqual(new Array(12).fill(5));
  });

  it('refuses models of another channel count', () => {
    expect(() => readPngForModel(file('colour.png'), [2, 2, 2])).toThrow('predict reads PNGs for models of 1 (grey) or 3 (RGB) channels; this one takes 2');
  });
});

// The gallery's test images: grey datasets as grey PNGs, colour ones as RGB, at the run's size.
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { imagePngDataUrl } from '../../src/report/image-png.js';
import { gallerySpec } from '../../src/report/charts.js';
import { MODELS } from '../../src/nn/models.js';
import { forData } from '../../src/nn/for-data.js';
import type { RunResult } from '../../src/train/types.js';

const decode = (url: string) => {
  expect(url).toMatch(/^data:image\/png;base64,/);
  return PNG.sync.read(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
};

describe('imagePngDataUrl', () => {
  it('writes grey bytes as a grey PNG and RGB bytes as an RGB PNG of rows x cols', () => {
    const grey = decode(imagePngDataUrl([0, 100, 200, 255, 50, 25], 2, 3, 1));
    expect([grey.width, grey.height, grey.data[4], grey.data[5], grey.data[6]]).toEqual([3, 2, 100, 100, 100]);
    const rgb = decode(imagePngDataUrl([255, 0, 0, 0, 255, 0], 1, 2, 3));
    expect([rgb.width, rgb.height]).toEqual([2, 1]);
    expect(Array.from(rgb.data)).toEqual([255, 0, 0, 255, 0, 255, 0, 255]);
  });

  it('the gallery of a colour run shows its images in colour', () => {
    const pixels = Array.from({ length: 12 * 12 * 3 }, (_, i) => (i % 3 === 0 ? 200 : 10));
    const run = {
      model: 'cnn',
      dataset: 'colour',
      spec: forData(MODELS.cnn, [12, 12, 3], 3),
      classNames: ['red', 'green', 'blue'],
      topMisclassifications: [{ trueClass: 0, predictedClass: 1, trueName: 'red', predictedName: 'green', count: 1 }],
      misclassifiedExamples: [{ index: 4, trueClass: 0, predictedClass: 1, confidence: 0.6, pixels }],
    } as unknown as RunResult;
    const spec = gallerySpec(run, { dataset: (n) => n }) as unknown as { data: { values: { url: string }[] } };
    const png = decode(spec.data.values[0].url);
    expect([png.width, png.height, png.data[0], png.data[1], png.data[2]]).toEqual([12, 12, 200, 10, 10]);
  });
});

// Test images as small PNGs (pngjs), for the misclassification gallery: the dataset's bytes in
// (grey, or RGB), a data: URL out, so the SVG and the HTML page carry the pictures themselves.
import { PNG } from 'pngjs';

/**
 * A rows x cols image (row-major bytes, channels last) as a PNG data URL: 3 channels as RGB, 1 as
 * grey (any other count shows its first channel in grey).
 */
export function imagePngDataUrl(pixels: ArrayLike<number>, rows = 28, cols = 28, channels = 1): string {
  const colorType = channels === 3 ? 2 : 0;
  const out = colorType === 2 ? 3 : 1;
  const png = new PNG({ width: cols, height: rows, colorType, inputColorType: colorType, inputHasAlpha: false });
  const bytes = Buffer.alloc(rows * cols * out);
  for (let p = 0; p < rows * cols; p++) for (let k = 0; k < out; k++) bytes[p * out + k] = pixels[p * channels + k];
  png.data = bytes;
  return 'data:image/png;base64,' + PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false }).toString('base64');
}

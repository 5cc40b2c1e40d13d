// Test images as small PNGs (pngjs), for the misclassification gallery: grey bytes in,
// a data: URL out, so the SVG and the HTML page carry the pictures themselves.
import { PNG } from 'pngjs';

/** A side x side grey image (row-major bytes, light on dark as in MNIST) as a PNG data URL. */
export function digitPngDataUrl(pixels: ArrayLike<number>, side = 28): string {
  const png = new PNG({ width: side, height: side, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const grey = Buffer.alloc(side * side);
  for (let i = 0; i < side * side; i++) grey[i] = pixels[i];
  png.data = grey;
  return 'data:image/png;base64,' + PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }).toString('base64');
}

// Turns a drawing into what the model was trained on: 28×28 bytes, white on black. MNIST digits
// are scaled to fit a 20×20 box and centred by their centre of mass in the 28×28 frame (LeCun's
// preprocessing); Fashion-MNIST items fill the frame, so they get a 26×26 box, centred.

export function drawingToInput(source: HTMLCanvasElement, dataset: string): Uint8Array {
  const w = source.width;
  const h = source.height;
  const pixels = source.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, w, h).data;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (pixels[(y * w + x) * 4] > 16) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const out = new Uint8Array(28 * 28);
  if (x1 < 0) return out;

  const box = dataset === 'mnist' ? 20 : 26;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = box / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  const small = document.createElement('canvas');
  small.width = 28;
  small.height = 28;
  const ctx = small.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 28, 28);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, x0, y0, bw, bh, Math.round((28 - sw) / 2), Math.round((28 - sh) / 2), sw, sh);
  const scaled = ctx.getImageData(0, 0, 28, 28).data;
  const gray = new Uint8Array(28 * 28);
  for (let i = 0; i < gray.length; i++) gray[i] = scaled[i * 4];
  if (dataset !== 'mnist') return gray;

  // Shift so the centre of mass sits at the centre of the frame.
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = gray[y * 28 + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const dx = Math.round(13.5 - mx / mass);
  const dy = Math.round(13.5 - my / mass);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = gray[sy * 28 + sx];
    }
  }
  return out;
}

/** Paints 28×28 bytes (white on black) onto a canvas of any size. */
export function paintImage(canvas: HTMLCanvasElement, pixels: Uint8Array, rows = 28, cols = 28): void {
  const small = new ImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    small.data[i * 4] = small.data[i * 4 + 1] = small.data[i * 4 + 2] = pixels[i];
    small.data[i * 4 + 3] = 255;
  }
  if (canvas.width === cols && canvas.height === rows) {
    canvas.getContext('2d')!.putImageData(small, 0, 0);
    return;
  }
  const tmp = document.createElement('canvas');
  tmp.width = cols;
  tmp.height = rows;
  tmp.getContext('2d')!.putImageData(small, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

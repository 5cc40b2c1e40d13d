// The images a run trains on, as the trainer, the benchmark and the browser engine take them.
// Free of Node: the web worker imports it.

/** Images and labels as every dataset holds them (src/data's Split is one). */
export interface ImageSplit {
  /** count·rows·cols·channels bytes 0..255, each image row-major with its channels last (NHWC). */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** 1 (grey) or 3 (RGB); 1 when left out. */
  channels?: number;
}

/** Bytes per image: rows·cols·channels. */
export function imageBytes(split: ImageSplit): number {
  return split.rows * split.cols * (split.channels ?? 1);
}

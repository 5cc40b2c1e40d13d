// A folder of PNG images, one sub-folder per class: DIR/train/<class>/*.png and, optionally,
// DIR/test/<class>/*.png. The class names are train/'s sub-folder names, sorted; test/ may hold
// any of them but no other. Every image must have one size (nothing is resized). Alpha is
// composited onto black. If every pixel of every image is grey (R = G = B, whatever the PNG's
// colour type) the dataset has one channel, otherwise three (RGB).
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import { decodePngFile } from '../io/png-decode.js';
import { MAX_CLASSES, checkImageShape } from './dataset.js';
import type { Split } from './idx.js';

/** Most bytes of decoded images a folder may hold (RGB, before a grey dataset drops to one channel). */
export const MAX_FOLDER_IMAGE_BYTES = 2 ** 30;
/** Class names are stored in model.json, which takes names of up to 100 characters. */
const MAX_CLASS_NAME = 100;

const isHidden = (name: string) => name.startsWith('.');
const isPng = (name: string) => /\.png$/i.test(name);
const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function listFolder(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => !isHidden(e.name)).sort(byName);
  } catch (error) {
    throw new SimdnetError(`cannot read the folder ${dir} (${(error as Error).message})`);
  }
}

/** A directory entry that is a folder, following symbolic links. */
function isFolder(dir: string, entry: Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

/** The class folders of DIR/<part> (train or test), sorted; any other entry there is an error. */
function classFolders(root: string): string[] {
  const classes: string[] = [];
  for (const entry of listFolder(root)) {
    if (!isFolder(root, entry)) throw new SimdnetError(`${join(root, entry.name)}: images go in class folders (${join(root, '<class>', '*.png')}), not in ${root} itself`);
    if (entry.name.length > MAX_CLASS_NAME) throw new SimdnetError(`${join(root, entry.name)}: a class name of ${entry.name.length} characters; simdnet takes names of up to ${MAX_CLASS_NAME}`);
    classes.push(entry.name);
  }
  return classes;
}

/** DIR/train's class names, checked: at least two, at most MAX_CLASSES. */
export function pngClassNames(dir: string): string[] {
  const train = join(dir, 'train');
  const classes = classFolders(train);
  if (classes.length === 0) throw new SimdnetError(`${train} holds no class folders; expected ${join(train, '<class>', '*.png')}, one folder per class`);
  if (classes.length === 1) throw new SimdnetError(`${train} holds only one class folder (${classes[0]}); a classifier needs at least two`);
  if (classes.length > MAX_CLASSES) throw new SimdnetError(`${train} holds ${classes.length} class folders, more than the ${MAX_CLASSES} classes simdnet supports`);
  return classes;
}

/** The .png files of one class folder, sorted; anything else there (but hidden files) is an error. */
function classImages(folder: string): string[] {
  const files: string[] = [];
  for (const entry of listFolder(folder)) {
    const path = join(folder, entry.name);
    if (isFolder(folder, entry)) throw new SimdnetError(`${path} is a folder; a class folder holds .png images only`);
    if (!isPng(entry.name)) throw new SimdnetError(`${path} is not a .png file; simdnet reads PNG images only (convert it or move it out of ${folder})`);
    files.push(path);
  }
  if (files.length === 0) throw new SimdnetError(`${folder} holds no .png images; every class folder needs at least one`);
  return files;
}

interface Listed {
  files: string[];
  labels: number[];
}

function listPart(dir: string, part: 'train' | 'test', classNames: string[]): Listed {
  const root = join(dir, part);
  const folders = part === 'train' ? classNames : classFolders(root);
  if (part === 'test') {
    if (folders.length === 0) throw new SimdnetError(`${root} holds no class folders; expected ${join(root, '<class>', '*.png')} (or no test/ folder, to hold out part of train/)`);
    const stranger = folders.find((name) => !classNames.includes(name));
    if (stranger !== undefined) throw new SimdnetError(`${join(root, stranger)}: '${stranger}' is not a class of ${join(dir, 'train')} (its classes: ${classNames.join(', ')})`);
  }
  const listed: Listed = { files: [], labels: [] };
  for (const name of folders) {
    for (const file of classImages(join(root, name))) {
      listed.files.push(file);
      listed.labels.push(classNames.indexOf(name));
    }
  }
  return listed;
}

/** Whether DIR uses this layout: it has a train/ folder. */
export function hasPngLayout(dir: string, entries: Dirent[]): boolean {
  return entries.some((e) => e.name === 'train' && isFolder(dir, e));
}

/** Whether DIR/test exists; it must be a folder if it does. */
function hasTestFolder(root: string): boolean {
  try {
    if (statSync(root).isDirectory()) return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new SimdnetError(`cannot read ${root} (${(error as Error).message})`);
  }
  throw new SimdnetError(`${root} is not a folder; expected ${join(root, '<class>', '*.png')}`);
}

/** Loads DIR/train (and DIR/test, if present) as splits with one or three channels. */
export function loadPngFolder(dir: string): { classNames: string[]; train: Split; test: Split | undefined } {
  const classNames = pngClassNames(dir);
  const hasTest = hasTestFolder(join(dir, 'test'));
  const train = listPart(dir, 'train', classNames);
  const test = hasTest ? listPart(dir, 'test', classNames) : undefined;
  const all = [...train.files, ...(test?.files ?? [])];

  // Decode everything as RGB composited onto black; drop to one channel if every image is grey.
  let width = 0;
  let height = 0;
  let rgb = new Uint8Array(0);
  let grey = true;
  all.forEach((file, n) => {
    const png = decodePngFile(file);
    if (n === 0) {
      ({ width, height } = png);
      checkImageShape(height, width, 3, file);
      const bytes = all.length * width * height * 3;
      if (bytes > MAX_FOLDER_IMAGE_BYTES) throw new SimdnetError(`${dir}: ${all.length} images of ${width}x${height} take ${bytes} bytes decoded, more than the ${MAX_FOLDER_IMAGE_BYTES} simdnet holds for a folder`);
      rgb = new Uint8Array(bytes);
    } else if (png.width !== width || png.height !== height) {
      throw new SimdnetError(`${file} is ${png.width}x${png.height}, but ${all[0]} is ${width}x${height}; every image must be one size (simdnet does not resize)`);
    }
    const pixels = width * height;
    const out = rgb.subarray(n * pixels * 3, (n + 1) * pixels * 3);
    const { rgba } = png;
    for (let p = 0; p < pixels; p++) {
      const a = rgba[p * 4 + 3];
      for (let c = 0; c < 3; c++) out[p * 3 + c] = a === 255 ? rgba[p * 4 + c] : Math.round((rgba[p * 4 + c] * a) / 255);
      if (grey && (out[p * 3] !== out[p * 3 + 1] || out[p * 3] !== out[p * 3 + 2])) grey = false;
    }
  });

  const channels = grey ? 1 : 3;
  const bytes = width * height * channels;
  const images = grey ? new Uint8Array(rgb.length / 3) : rgb;
  if (grey) for (let i = 0; i < images.length; i++) images[i] = rgb[i * 3];
  const split = (from: number, listed: Listed): Split => ({
    images: images.subarray(from * bytes, (from + listed.files.length) * bytes),
    labels: Uint8Array.from(listed.labels),
    count: listed.files.length,
    rows: height,
    cols: width,
    channels,
  });
  return { classNames, train: split(0, train), test: test ? split(train.files.length, test) : undefined };
}

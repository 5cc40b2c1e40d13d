// simdnet predict: class probabilities for PNG images from a saved model.
import { choiceFlag, parseFlags } from './args.js';
import { DATASET_NAMES, createEngine, emitJson } from './common.js';
import { percent } from './format.js';
import { loadModel } from '../io/model-files.js';
import { instantiate } from '../io/inference.js';
import { predictProbabilities } from '../nn/predict.js';
import { readPngForModel, type InvertChoice } from '../io/png-input.js';
import { registry } from '../data/registry.js';
import { SimdnetError } from '../engine/errors.js';
import { folderClassNames } from '../data/folder.js';
import { planModel } from '../nn/model-spec.js';

export const predictHelp = `Usage: simdnet predict --model DIR [options] FILE.png...

Prints the most likely class of each image, with the probabilities of the top classes.
Images may be any size, grey or colour; they are padded to the model's aspect ratio and
resized to its input (28x28 for MNIST's), in grey or RGB as the model takes them.
For grey models: MNIST and Fashion-MNIST show light shapes on a black background, so an
image whose border is mostly light (dark ink on paper) is inverted first; a model trained
on dark-on-light images (--data) inverts the other way round. Colour images are never
inverted unless --invert yes; their transparent parts count as black.

Options:
  --model DIR         the model directory (or its model.json)
  --dataset NAME      take class names from this dataset (default: those in model.json)
  --data DIR          take class names from this folder of your own (as train --data reads it)
  --invert auto|yes|no  invert images whose background is not the training data's (default auto)
  --top N             probabilities to show per image (default 3)
  --fma auto|on|off   relaxed-SIMD FMA kernels (default auto)
  --json              one JSON object per image, with every probability`;

export async function runPredict(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(
    'predict',
    argv,
    { model: { type: 'string' }, dataset: { type: 'string' }, data: { type: 'string' }, invert: { type: 'string' }, top: { type: 'string' }, fma: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  if (values.help) return void console.log(predictHelp);
  if (values.model === undefined) throw new SimdnetError('predict: --model DIR is required (see simdnet predict --help)');
  if (positionals.length === 0) throw new SimdnetError('predict: name at least one PNG file (see simdnet predict --help)');
  const invert = choiceFlag(values.invert as string | undefined, 'invert', ['auto', 'yes', 'no'] as const, 'auto') as InvertChoice;
  const top = values.top === undefined ? 3 : Number(values.top);
  if (!Number.isInteger(top) || top < 1) throw new SimdnetError(`--top expects an integer >= 1, got '${values.top}'`);

  const loaded = loadModel(values.model as string);
  const shape = loaded.spec.inputShape;
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new SimdnetError(`${loaded.dir}: predict reads PNGs for models of 1 (grey) or 3 (RGB) channels, this one takes ${h}x${w}x${c}`);
  const classes = planModel(loaded.spec).classes;
  let classNames = loaded.metadata.classNames ?? Array.from({ length: classes }, (_, i) => String(i));
  if (values.dataset !== undefined && values.data !== undefined) throw new SimdnetError('--dataset and --data name two datasets; give one');
  if (values.dataset !== undefined) {
    classNames = registry[choiceFlag(values.dataset as string, 'dataset', DATASET_NAMES)].classNames;
    if (classNames.length !== classes) throw new SimdnetError(`--dataset ${values.dataset} has ${classNames.length} classes, the model ${classes}`);
  }
  if (values.data !== undefined) {
    classNames = folderClassNames(values.data as string);
    if (classNames.length !== classes) throw new SimdnetError(`--data ${values.data} has ${classNames.length} classes, the model ${classes}`);
  }

  const images = positionals.map((file) => ({ file, ...readPngForModel(file, shape, { invert, background: loaded.metadata.background }) }));
  const engine = await createEngine(values.fma as string | undefined);
  const model = instantiate(engine, loaded, Math.min(images.length, 256));
  const size = h * w * c;
  const input = new Float32Array(images.length * size);
  images.forEach((image, i) => input.set(image.pixels, i * size));
  const probs = predictProbabilities(model, input, images.length);

  images.forEach((image, i) => {
    const p = Array.from(probs.subarray(i * classes, (i + 1) * classes));
    const ranked = p.map((prob, cls) => ({ cls, prob })).sort((a, b) => b.prob - a.prob || a.cls - b.cls);
    const best = ranked[0];
    if (values.json) {
      emitJson({ type: 'prediction', file: image.file, class: best.cls, className: classNames[best.cls], probability: best.prob, probabilities: p, inverted: image.inverted, width: image.width, height: image.height });
      return;
    }
    const shown = ranked.slice(0, top).map((r) => `${classNames[r.cls]} ${percent(r.prob, 1)}`).join(', ');
    console.log(`${image.file}: ${classNames[best.cls]} (${shown})${image.inverted ? '  [inverted: light background]' : ''}`);
  });
}

// simdnet evaluate: a saved model (TensorFlow.js layers format) on a dataset's test set.
import { intFlag, parseFlags } from './args.js';
import { DATASET_NAMES, commonOptions, createEngine, emitJson } from './common.js';
import { chooseData, dataOptions, loadData } from './data-flags.js';
import { confusionTable, percent } from './format.js';
import { loadModel } from '../io/model-files.js';
import { instantiate } from '../io/inference.js';
import { evaluate } from '../train/evaluate.js';
import { confusionMatrix, perClassAccuracy, topMisclassifications } from '../train/metrics.js';
import { SimdnetError } from '../engine/errors.js';
import { planModel } from '../nn/model-spec.js';

export const evaluateHelp = `Usage: simdnet evaluate --model DIR [--dataset <${DATASET_NAMES.join('|')}> | --data DIR] [options]

Evaluates a saved model (DIR/model.json + weights, as train --save writes them, or any
TensorFlow.js layers model of these layer types) on a dataset's test images (MNIST's 10,000).

Options:
  --model DIR         the model directory (or its model.json)
  --dataset NAME      default: the dataset recorded in model.json by train --save
  --data DIR          a folder of your own (IDX files, or PNGs in train/<class>/ and test/<class>/),
                      as train --data reads it; the model's input shape and classes must be its
  --test-split F      without a test set in DIR, test on this fraction of each class (default:
                      the fraction the model was trained with, recorded in model.json, else 0.2)
  --batch-size N      images per forward pass (default 256)
  --data-dir DIR      folder holding mnist/ and fashion-mnist/
  --fma auto|on|off   relaxed-SIMD FMA kernels (default auto)
  --json              print the result as one JSON object`;

export async function runEvaluate(argv: string[]): Promise<void> {
  const { values } = parseFlags('evaluate', argv, { ...commonOptions, ...dataOptions, model: { type: 'string' }, 'batch-size': { type: 'string' } });
  if (values.help) return void console.log(evaluateHelp);
  if (values.model === undefined) throw new SimdnetError('evaluate: --model DIR is required (see simdnet evaluate --help)');
  const loaded = loadModel(values.model as string);
  const meta = loaded.metadata;
  if (values.dataset === undefined && values.data === undefined && meta.source === 'folder') {
    throw new SimdnetError(`${loaded.dir} was trained on the folder '${meta.dataset}'; evaluate it with --data DIR (that folder, or another with the same classes)`);
  }
  const choice = chooseData(values, meta.source === 'folder' ? undefined : meta.dataset);
  if (choice.kind === 'folder') choice.recordedTestSplit = meta.testSplit;
  const batchSize = intFlag(values['batch-size'] as string | undefined, 'batch-size', 256);
  const dataset = await loadData(choice, values['data-dir'] as string | undefined);
  const datasetName = dataset.name;
  const [h, w, c] = loaded.spec.inputShape;
  const { rows, cols, channels } = dataset.test;
  if (h !== rows || w !== cols || c !== channels) {
    throw new SimdnetError(`${loaded.dir}: the model takes ${h}x${w}x${c} inputs, but ${dataset.displayName} images are ${rows}x${cols}x${channels}`);
  }
  const classes = dataset.classNames.length;
  const outputs = planModel(loaded.spec).classes;
  if (outputs !== classes) throw new SimdnetError(`${loaded.dir}: the model has ${outputs} output classes, but ${dataset.displayName} has ${classes}`);
  if (choice.kind === 'folder' && meta.classNames && meta.classNames.join('\n') !== dataset.classNames.join('\n')) {
    throw new SimdnetError(`${loaded.dir}: the model's classes are ${meta.classNames.join(', ')}, but ${choice.dir}'s are ${dataset.classNames.join(', ')}`);
  }

  const engine = await createEngine(values.fma as string | undefined);
  const model = instantiate(engine, loaded, batchSize);
  const count = dataset.test.count;
  const data = {
    images: engine.storeU8(dataset.test.images.subarray(0, count * h * w * c), 'test images'),
    labels: engine.storeU8(dataset.test.labels.subarray(0, count), 'test labels'),
    count,
  };
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const result = evaluate(model, data, order);
  const matrix = confusionMatrix(dataset.test.labels.subarray(0, count), result.predictions, classes);
  if (values.json) {
    emitJson({ type: 'evaluation', model: loaded.dir, dataset: datasetName, images: count, accuracy: result.accuracy, loss: result.loss, confusionMatrix: matrix, perClassAccuracy: perClassAccuracy(matrix) });
    return;
  }
  console.log(`${loaded.spec.name} (${loaded.dir}) on the ${dataset.displayName} test set, ${count} images`);
  console.log(`accuracy ${percent(result.accuracy)}  loss ${result.loss.toFixed(4)}\n`);
  console.log('confusion matrix (rows: true class, columns: predicted)');
  console.log(confusionTable(matrix, dataset.classNames));
  console.log('\nmost common misclassifications (true -> predicted: count)');
  for (const m of topMisclassifications(matrix, dataset.classNames, 5)) console.log(`  ${m.trueName} -> ${m.predictedName}: ${m.count}`);
}

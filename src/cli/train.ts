// simdnet train: one model on one dataset, per-epoch metrics, then the test set.
import { choiceFlag, floatFlag, intFlag, parseFlags } from './args.js';
import { ALL_CORES, CONVOLUTION_CHOICES, DATASET_NAMES, chooseSpec, commonOptions, createEngine, emitJson, stopOnSignals } from './common.js';
import { chooseData, dataHelp, dataOptions, describeData, fitSpec, loadData } from './data-flags.js';
import { describeSource, imageBackground } from '../data/dataset.js';
import type { ModelMetadata } from '../io/model-files.js';
import { MODEL_NAMES } from '../nn/models.js';
import { runOptions, train } from '../train/trainer.js';
import { checkResumeOptions, readCheckpoint, CHECKPOINT_FILE } from '../train/checkpoint.js';
import { SimdnetError } from '../engine/errors.js';
import { createEpochProgress } from './progress.js';
import { epochLine, resultSummary } from './format.js';
import { saveModel } from '../io/model-files.js';
import { MetricsLog } from '../report/metrics-log.js';
import { writeReport } from '../report/report.js';
import { describeMachine } from '../util/machine.js';
import { withLearningRate } from '../nn/model-spec.js';
import type { TrainingSpec } from '../nn/spec.js';
import { withTrainingFlags } from './training-flags.js';

export const trainHelp = `Usage: simdnet train --model <${MODEL_NAMES.join('|')}> --dataset <${DATASET_NAMES.join('|')}> [options]
       simdnet train --model NAME --data DIR [options]
       simdnet train --spec FILE.json --dataset NAME | --data DIR [options]

A named model takes the data's image shape and class count (its layers in between unchanged);
a --spec model must match the data already.

Options:
  --spec FILE.json        a model of your own: {"name", "inputShape", "layers", and optionally
                          "optimizer", "schedule", "loss", "augmentation"} (see the README), instead of --model
${dataHelp}
  --epochs N              epochs to train (default 10)
  --batch-size N          mini-batch size (default 64)
  --lr X                  the optimizer's learning rate (default: the spec's; 0.001, or 0.0001 for the tuned models)
  --seed N                seed for initialisation, shuffling, dropout and augmentation (default 0)
  --augment LIST          random transforms of each training image, e.g. translate=2,rotate=10,scale=0.1,flip:
                          shifts of up to N whole pixels (0-4), rotations up to DEGREES (0-30), zooms up to
                          1±F (0-0.3), mirroring (for clothes, not digits); none turns a spec's off
  --label-smoothing E     train against targets (1-E)·onehot + E/classes, E in [0, 1) (default: the spec's, 0)
  --validation-split F    fraction held out from the end of the training set (default 0.1)
  --limit N               train on the first N training images only
  --data-dir DIR          folder holding mnist/ and fashion-mnist/ (default: $SIMDNET_DATA, the cache, Debian's, then download)
  --threads N             threads to train with (default: every core)
  --fma auto|on|off       relaxed-SIMD fused multiply-add build (default auto: where the runtime supports it)
  --conv auto|direct|winograd
                          how convolutions are computed: auto (the default) uses Winograd's minimal filtering
                          on 3x3 and 5x5 layers with 16+ channels and direct one-channel kernels on first
                          layers of grey images (16, 32, ... filters), where each was measured faster;
                          winograd forces Winograd wherever it applies; direct gives the numbers of simdnet
                          before either, bit for bit
  --save DIR              save the trained model in TensorFlow.js layers format (DIR/model.json + weights)
  --out DIR               write an HTML report with SVG charts (DIR/index.html, DIR/images/*.svg)
  --log FILE              append one JSON object per epoch to FILE (JSON Lines)
  --csv FILE              write the per-epoch metrics to FILE as CSV
  --json                  print one JSON object per line (epochs, then the result)
  --checkpoint DIR        after every epoch, save weights, optimiser and random states to DIR/${CHECKPOINT_FILE};
                          Ctrl-C or SIGTERM then stops after the current batch and saves (a second one quits at once)
  --resume DIR            continue the run checkpointed in DIR, with its options; ends with the same weights
                          as an uninterrupted run (flags given must match the checkpoint's; --epochs may grow)`;

/** A checkpoint's own spec, at --lr when given. */
function chooseSpecOf(saved: TrainingSpec, lr: number | undefined): TrainingSpec {
  return lr === undefined ? saved : withLearningRate(saved, lr);
}

export async function runTrain(argv: string[]): Promise<void> {
  const { values } = parseFlags('train', argv, {
    ...commonOptions,
    ...dataOptions,
    model: { type: 'string' },
    spec: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    seed: { type: 'string' },
    'validation-split': { type: 'string' },
    limit: { type: 'string' },
    save: { type: 'string' },
    out: { type: 'string' },
    log: { type: 'string' },
    csv: { type: 'string' },
    checkpoint: { type: 'string' },
    resume: { type: 'string' },
    conv: { type: 'string' },
    augment: { type: 'string' },
    'label-smoothing': { type: 'string' },
  });
  if (values.help) return void console.log(trainHelp);
  const resumeDir = values.resume as string | undefined;
  const checkpointDir = (values.checkpoint as string | undefined) ?? resumeDir;
  const resume = resumeDir === undefined ? undefined : readCheckpoint(resumeDir);
  if (resumeDir !== undefined && !resume) throw new SimdnetError(`--resume ${resumeDir}: no ${CHECKPOINT_FILE} there to continue from`);
  if (resumeDir === undefined && checkpointDir !== undefined && readCheckpoint(checkpointDir)) {
    throw new SimdnetError(`--checkpoint ${checkpointDir} already holds a checkpoint; continue it with --resume ${checkpointDir}, or choose an empty folder`);
  }
  if (resume) {
    // Unset flags take the checkpoint's values; set ones must agree (checked below).
    const saved = resume.meta.options;
    if (values.dataset === undefined && values.data === undefined) {
      if (!(DATASET_NAMES as readonly string[]).includes(saved.dataset)) {
        throw new SimdnetError(`--resume ${resumeDir}: the run trained on the folder '${saved.dataset}'; give --data with that folder to continue it`);
      }
      values.dataset = saved.dataset;
    }
    values.seed ??= String(saved.seed);
    values['batch-size'] ??= String(saved.batchSize);
    values['validation-split'] ??= String(saved.validationSplit);
    if (saved.limit !== null) values.limit ??= String(saved.limit);
    values.epochs ??= String(resume.meta.epochs);
    values.fma ??= saved.fma ? 'on' : 'off';
    values.conv ??= saved.convolution;
  }
  // A resumed run keeps the checkpoint's learning rate unless --lr is given (and must then agree).
  const lr = values.lr === undefined ? resume?.meta.options.spec.optimizer.learningRate : floatFlag(values.lr as string, 'lr', 0, (x) => x > 0, 'a positive number');
  // Resuming without --model or --spec: the checkpoint's own spec (a custom model resumes too).
  const resumeOwn = resume && values.model === undefined && values.spec === undefined;
  const chosenSpec = withTrainingFlags(
    resumeOwn ? chooseSpecOf(resume.meta.options.spec, lr) : chooseSpec(values.model as string | undefined, values.spec as string | undefined, lr),
    values.augment as string | undefined,
    values['label-smoothing'] as string | undefined,
  );
  const data = chooseData(values);
  const options = {
    epochs: intFlag(values.epochs as string | undefined, 'epochs', 10),
    batchSize: intFlag(values['batch-size'] as string | undefined, 'batch-size', 64),
    seed: intFlag(values.seed as string | undefined, 'seed', 0, 0),
    convolution: choiceFlag(values.conv as string | undefined, 'conv', CONVOLUTION_CHOICES, 'auto'),
    validationSplit: floatFlag(values['validation-split'] as string | undefined, 'validation-split', 0.1, (x) => x >= 0 && x < 1, 'a fraction in [0, 1)'),
    limit: values.limit === undefined ? undefined : intFlag(values.limit as string, 'limit', 0),
  };
  const json = Boolean(values.json);
  const saveDir = values.save as string | undefined;
  const outDir = values.out as string | undefined;
  const metricsLog = new MetricsLog(values.log as string | undefined, values.csv as string | undefined);
  let savedFiles: string[] = [];
  const engine = await createEngine(values.fma as string | undefined, values.threads as string | undefined, ALL_CORES);
  const dataset = await loadData(data, values['data-dir'] as string | undefined);
  const datasetName = dataset.name;
  const spec = fitSpec(chosenSpec, !resumeOwn && values.model !== undefined, dataset);
  if (resume) checkResumeOptions(resume.meta.options, runOptions(engine, spec, dataset, options), resumeDir!);
  if (!json) {
    console.log(`training ${spec.name} on ${dataset.displayName} (${engine.variant.fma ? 'FMA' : 'SIMD'} kernels, data from ${describeSource(dataset.source)})`);
    if (data.kind === 'folder') console.log(describeData(dataset));
  }
  const metadata: ModelMetadata = { dataset: datasetName, classNames: dataset.classNames };
  if (data.kind === 'folder') metadata.source = 'folder';
  if (dataset.testSplit !== undefined) metadata.testSplit = dataset.testSplit;
  const background = imageBackground(dataset.train);
  if (background) metadata.background = background;
  const progress = createEpochProgress(spec.name, json ? 'off' : 'auto');
  // With a checkpoint to write, Ctrl-C stops after the batch and saves.
  const stop = stopOnSignals(checkpointDir !== undefined);
  const result = await train(engine, spec, dataset, {
    ...options,
    checkpointDir,
    resume,
    signal: stop.signal,
    onTrained: (model) => {
      if (saveDir) savedFiles = saveModel(saveDir, model, metadata);
    },
    onBatch: (p) => progress.update(p),
    onEpoch: (record) => {
      progress.stop();
      metricsLog.epoch(spec.name, datasetName, options.epochs, record);
      if (json) emitJson({ type: 'epoch', model: spec.name, dataset: datasetName, ...record });
      else console.log(epochLine(record, options.epochs));
    },
  }).finally(stop.dispose);
  // With --json the result is the last line, whatever else is printed: scripts read the last line.
  if (!json) console.log('\n' + resultSummary(result));
  if (saveDir) {
    if (json) emitJson({ type: 'model', files: savedFiles });
    else console.log(`\nmodel saved to ${savedFiles.join(' and ')}`);
  }
  if (outDir) {
    const files = await writeReport(outDir, [result], { title: `simdnet: ${spec.name} on ${dataset.displayName}`, machine: describeMachine() });
    if (json) emitJson({ type: 'report', files });
    else console.log(`report written to ${files[files.length - 1]} (${files.length - 1} charts in images/)`);
  }
  if (json) emitJson({ type: 'result', ...result });
}

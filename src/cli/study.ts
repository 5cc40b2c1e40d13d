// simdnet study: every model on every dataset, then one comparison table (Markdown and JSON).
import { join, resolve } from 'node:path';
import { choiceFlag, intFlag, listFlag, parseFlags } from './args.js';
import { ALL_CORES, CONVOLUTION_CHOICES, DATASET_NAMES, commonOptions, createEngine, emitJson, stopOnSignals } from './common.js';
import { chooseData, describeData, fitSpec, loadData, type DataChoice } from './data-flags.js';
import { MODEL_NAMES, NOTEBOOK_MODELS, modelSpec } from '../nn/models.js';
import { TrainingInterrupted, train } from '../train/trainer.js';
import { readCheckpoint } from '../train/checkpoint.js';
import { checkStudyOptions, readStudyState, runCheckpointDir, writeStudyState, type StudyOptions } from '../train/study-checkpoint.js';
import { SimdnetError } from '../engine/errors.js';
import { createEpochProgress } from './progress.js';
import { epochLine, percent } from './format.js';
import { seedSummaries, studyMarkdown } from '../train/study.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { describeMachine } from '../util/machine.js';
import { MetricsLog } from '../report/metrics-log.js';
import { writeReport } from '../report/report.js';
import type { RunResult } from '../train/types.js';

export const studyHelp = `Usage: simdnet study [options]

Trains every chosen model on every chosen dataset (or on one folder of your own, --data DIR)
and writes a comparison. The named models take the data's image shape and class count.

Options:
  --epochs N          epochs per run (default 10)
  --models LIST       comma-separated, from ${MODEL_NAMES.join(',')}, or all
                      (default: the notebook's ${NOTEBOOK_MODELS.join(', ')})
  --datasets LIST     comma-separated, from ${DATASET_NAMES.join(',')} (default: both)
  --data DIR          one folder of your own instead of --datasets (IDX files, or PNGs in
                      train/<class>/ and test/<class>/; see simdnet train --help)
  --test-split F      without a test set in DIR, hold out this fraction of each class (default 0.2)
  --out DIR           where results.md, results.json and the HTML report (index.html,
                      images/*.svg) go (default out/study)
  --log FILE          append one JSON object per epoch to FILE (JSON Lines)
  --csv FILE          write the per-epoch metrics of every run to FILE as CSV
  --seed N            seed for every run (default 0)
  --seeds LIST        run every model once per seed (comma-separated, e.g. 0,1,2); the table then
                      gives each model's mean test accuracy and its spread across the seeds
  --limit N           train on the first N training images only
  --data-dir DIR      folder holding mnist/ and fashion-mnist/
  --threads N         threads to train with (default: every core)
  --fma auto|on|off   relaxed-SIMD FMA kernels (default auto)
  --conv auto|direct|winograd
                      how convolutions are computed (default auto: Winograd and the one-channel
                      kernels where they pay; direct: the numbers of simdnet before either)
  --checkpoint DIR    keep the study's progress in DIR: every finished run's result, and the
                      running run's checkpoint after each epoch (Ctrl-C stops after the batch and saves)
  --resume DIR        continue the study checkpointed in DIR: finished runs are kept, the run that
                      was going on continues from its last checkpoint; the table comes out as if
                      never interrupted (flags given must match the saved ones)
  --json              one JSON object per line instead of text`;

export async function runStudy(argv: string[]): Promise<void> {
  const { values } = parseFlags('study', argv, {
    ...commonOptions,
    epochs: { type: 'string' },
    models: { type: 'string' },
    datasets: { type: 'string' },
    data: { type: 'string' },
    'test-split': { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    seeds: { type: 'string' },
    limit: { type: 'string' },
    log: { type: 'string' },
    csv: { type: 'string' },
    checkpoint: { type: 'string' },
    resume: { type: 'string' },
    conv: { type: 'string' },
  });
  if (values.help) return void console.log(studyHelp);
  const resumeDir = values.resume as string | undefined;
  const checkpointDir = (values.checkpoint as string | undefined) ?? resumeDir;
  if (resumeDir !== undefined && values.checkpoint !== undefined && resolve(values.checkpoint as string) !== resolve(resumeDir)) {
    throw new SimdnetError('--checkpoint and --resume name two folders; a resumed study keeps its checkpoint where it is');
  }
  const saved = checkpointDir === undefined ? undefined : readStudyState(checkpointDir);
  if (resumeDir !== undefined && !saved) throw new SimdnetError(`--resume ${resumeDir}: no study checkpoint there to continue from`);
  if (resumeDir === undefined && saved) throw new SimdnetError(`--checkpoint ${checkpointDir} already holds a study; continue it with --resume ${checkpointDir}, or choose an empty folder`);
  if (saved) {
    // Unset flags take the saved study's values; set ones must agree (checked below).
    const o = saved.options;
    values.epochs ??= String(o.epochs);
    values.models ??= o.models.join(',');
    const registered = o.datasets.every((d) => (DATASET_NAMES as readonly string[]).includes(d));
    if (values.data === undefined && !registered) throw new SimdnetError(`--resume ${resumeDir}: the study ran on the folder '${o.datasets.join(',')}'; give --data with that folder to continue it`);
    if (values.data === undefined) values.datasets ??= o.datasets.join(',');
    if (values.seed === undefined) values.seeds ??= o.seeds.join(',');
    if (o.limit !== null) values.limit ??= String(o.limit);
    values.fma ??= o.fma ? 'on' : 'off';
    values.conv ??= o.convolution;
  }
  const epochs = intFlag(values.epochs as string | undefined, 'epochs', 10);
  const models = values.models === 'all' ? [...MODEL_NAMES] : values.models === undefined ? [...NOTEBOOK_MODELS] : listFlag(values.models as string, 'models', MODEL_NAMES);
  if (values.data !== undefined && values.datasets !== undefined) throw new SimdnetError('--datasets and --data name the data twice; give one');
  // chooseData refuses --test-split without --data, and --data with --data-dir.
  const choices: DataChoice[] =
    values.data !== undefined || values['test-split'] !== undefined ? [chooseData(values)] : listFlag(values.datasets as string | undefined, 'datasets', DATASET_NAMES).map((name) => ({ kind: 'registered', name }));
  const datasets = choices.map((choice) => choice.name);
  const seeds = seedsFlag(values.seed as string | undefined, values.seeds as string | undefined);
  // One seed keeps the study's older layout (run folders without the seed in their name).
  const runSeed = (seed: number) => (seeds.length > 1 ? seed : undefined);
  const limit = values.limit === undefined ? undefined : intFlag(values.limit as string, 'limit', 1);
  const outDir = resolve((values.out as string | undefined) ?? join('out', 'study'));
  const json = Boolean(values.json);
  const metricsLog = new MetricsLog(values.log as string | undefined, values.csv as string | undefined);
  const engine = await createEngine(values.fma as string | undefined, values.threads as string | undefined, ALL_CORES);
  const convolution = choiceFlag(values.conv as string | undefined, 'conv', CONVOLUTION_CHOICES, 'auto');
  const studyOptions: StudyOptions = { epochs, models, datasets, seeds, limit: limit ?? null, fma: engine.variant.fma, convolution };
  if (saved) checkStudyOptions(saved.options, studyOptions, checkpointDir!);
  else if (checkpointDir !== undefined) writeStudyState(checkpointDir, studyOptions, []);

  const results: RunResult[] = saved ? [...saved.results] : [];
  const stop = stopOnSignals(checkpointDir !== undefined);
  try {
    for (const choice of choices) {
      const dataset = await loadData(choice, values['data-dir'] as string | undefined);
      const datasetName = dataset.name;
      // Every model fitted to the data before any trains: one that cannot take it fails now, not an hour in.
      const specs = new Map(models.map((name) => [name, fitSpec(modelSpec(name), true, dataset)]));
      if (!json && choice.kind === 'folder') console.log(`${choice.dir}: ${describeData(dataset)}`);
      for (const modelName of models) for (const seed of seeds) {
        const spec = specs.get(modelName)!;
        const label = `${spec.name} on ${dataset.displayName}${seeds.length > 1 ? `, seed ${seed}` : ''}`;
        const done = results.find((r) => r.model === modelName && r.dataset === datasetName && r.seed === seed);
        if (done) {
          if (!json) console.log(`\n== ${label}: finished before the interruption, test accuracy ${percent(done.testAccuracy)} ==`);
          continue;
        }
        const runDir = checkpointDir === undefined ? undefined : runCheckpointDir(checkpointDir, datasetName, modelName, runSeed(seed));
        const resume = runDir === undefined ? undefined : readCheckpoint(runDir);
        if (!json) console.log(`\n== ${label}${resume ? `, resumed after epoch ${resume.meta.epoch}${resume.meta.batch ? `, batch ${resume.meta.batch}` : ''}` : ''} ==`);
        const progress = createEpochProgress(spec.name, json ? 'off' : 'auto');
        const result = await train(engine, spec, dataset, {
          epochs,
          batchSize: 64,
          seed,
          validationSplit: 0.1,
          limit,
          convolution,
          checkpointDir: runDir,
          resume,
          signal: stop.signal,
          onBatch: (p) => progress.update(p),
          onEpoch: (record) => {
            progress.stop();
            metricsLog.epoch(spec.name, datasetName, epochs, record);
            if (json) emitJson({ type: 'epoch', model: spec.name, dataset: datasetName, ...record });
            else console.log(epochLine(record, epochs));
          },
        });
        results.push(result);
        if (checkpointDir !== undefined) writeStudyState(checkpointDir, studyOptions, results);
        if (json) emitJson({ type: 'result', ...result });
        else console.log(`test accuracy ${percent(result.testAccuracy)}, ${result.trainSeconds.toFixed(1)} s of training`);
      }
    }
  } catch (error) {
    if (error instanceof TrainingInterrupted && checkpointDir !== undefined) {
      throw new TrainingInterrupted(`study interrupted after ${results.length} finished runs; its progress is in ${checkpointDir}; continue with: simdnet study --resume ${checkpointDir}`);
    }
    throw error;
  } finally {
    stop.dispose();
  }
  const markdown = studyMarkdown(results, describeMachine());
  writeFileAtomic(join(outDir, 'results.json'), JSON.stringify({ machine: describeMachine(), seeds: seedSummaries(results), results }, null, 1) + '\n');
  writeFileAtomic(join(outDir, 'results.md'), markdown);
  const reportFiles = await writeReport(outDir, results, { title: 'simdnet study', machine: describeMachine() });
  if (json) emitJson({ type: 'study', out: outDir, runs: results.length, report: reportFiles });
  else console.log(`\n${markdown}\nwritten to ${join(outDir, 'results.md')} and results.json`);
  if (!json) console.log(`report: ${join(outDir, 'index.html')} with ${reportFiles.length - 1} charts in ${join(outDir, 'images')}`);
}

/** --seed N (one run per model) or --seeds LIST (one per seed); not both. */
function seedsFlag(seed: string | undefined, seeds: string | undefined): number[] {
  if (seed !== undefined && seeds !== undefined) throw new SimdnetError('--seed and --seeds both set the seeds; give one');
  if (seeds === undefined) return [intFlag(seed, 'seed', 0, 0)];
  const items = seeds.split(',').map((s) => s.trim());
  const list = items.map((item) => {
    if (!/^\d+$/.test(item) || !Number.isSafeInteger(Number(item))) throw new SimdnetError(`--seeds expects comma-separated whole numbers >= 0 (e.g. 0,1,2), got '${seeds}'`);
    return Number(item);
  });
  if (new Set(list).size !== list.length) throw new SimdnetError(`--seeds lists a seed twice: '${seeds}'`);
  return list;
}

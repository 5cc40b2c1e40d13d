// simdnet study: every model on every dataset, then one comparison table (Markdown and JSON).
import { join, resolve } from 'node:path';
import { intFlag, listFlag, parseFlags } from './args.js';
import { ALL_CORES, DATASET_NAMES, commonOptions, createEngine, emitJson, getDataset } from './common.js';
import { MODEL_NAMES, modelSpec } from '../nn/models.js';
import { train } from '../train/trainer.js';
import { createEpochProgress } from './progress.js';
import { epochLine, percent } from './format.js';
import { studyMarkdown } from '../train/study.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { describeMachine } from '../util/machine.js';
import { MetricsLog } from '../report/metrics-log.js';
import { writeReport } from '../report/report.js';
import type { RunResult } from '../train/types.js';

export const studyHelp = `Usage: simdnet study [options]

Trains every chosen model on every chosen dataset and writes a comparison.

Options:
  --epochs N          epochs per run (default 10)
  --models LIST       comma-separated, from ${MODEL_NAMES.join(',')} (default: all)
  --datasets LIST     comma-separated, from ${DATASET_NAMES.join(',')} (default: both)
  --out DIR           where results.md, results.json and the HTML report (index.html,
                      images/*.svg) go (default out/study)
  --log FILE          append one JSON object per epoch to FILE (JSON Lines)
  --csv FILE          write the per-epoch metrics of every run to FILE as CSV
  --seed N            seed for every run (default 0)
  --limit N           train on the first N training images only
  --data-dir DIR      folder holding mnist/ and fashion-mnist/
  --threads N         threads to train with (default: every core)
  --fma auto|on|off   relaxed-SIMD FMA kernels (default auto)
  --json              one JSON object per line instead of text`;

export async function runStudy(argv: string[]): Promise<void> {
  const { values } = parseFlags('study', argv, {
    ...commonOptions,
    epochs: { type: 'string' },
    models: { type: 'string' },
    datasets: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    limit: { type: 'string' },
    log: { type: 'string' },
    csv: { type: 'string' },
  });
  if (values.help) return void console.log(studyHelp);
  const epochs = intFlag(values.epochs as string | undefined, 'epochs', 10);
  const models = listFlag(values.models as string | undefined, 'models', MODEL_NAMES);
  const datasets = listFlag(values.datasets as string | undefined, 'datasets', DATASET_NAMES);
  const seed = intFlag(values.seed as string | undefined, 'seed', 0, 0);
  const limit = values.limit === undefined ? undefined : intFlag(values.limit as string, 'limit', 1);
  const outDir = resolve((values.out as string | undefined) ?? join('out', 'study'));
  const json = Boolean(values.json);
  const metricsLog = new MetricsLog(values.log as string | undefined, values.csv as string | undefined);
  const engine = await createEngine(values.fma as string | undefined, values.threads as string | undefined, ALL_CORES);

  const results: RunResult[] = [];
  for (const datasetName of datasets) {
    const dataset = await getDataset(datasetName, values['data-dir'] as string | undefined);
    for (const modelName of models) {
      const spec = modelSpec(modelName);
      if (!json) console.log(`\n== ${spec.name} on ${dataset.displayName} ==`);
      const progress = createEpochProgress(spec.name, json ? 'off' : 'auto');
      const result = await train(engine, spec, dataset, {
        epochs,
        batchSize: 64,
        learningRate: spec.learningRate,
        seed,
        validationSplit: 0.1,
        limit,
        onBatch: (p) => progress.update(p),
        onEpoch: (record) => {
          progress.stop();
          metricsLog.epoch(spec.name, datasetName, epochs, record);
          if (json) emitJson({ type: 'epoch', model: spec.name, dataset: datasetName, ...record });
          else console.log(epochLine(record, epochs));
        },
      });
      results.push(result);
      if (json) emitJson({ type: 'result', ...result });
      else console.log(`test accuracy ${percent(result.testAccuracy)}, ${result.trainSeconds.toFixed(1)} s of training`);
    }
  }
  const markdown = studyMarkdown(results, describeMachine());
  writeFileAtomic(join(outDir, 'results.json'), JSON.stringify({ machine: describeMachine(), results }, null, 1) + '\n');
  writeFileAtomic(join(outDir, 'results.md'), markdown);
  const reportFiles = await writeReport(outDir, results, { title: 'simdnet study', machine: describeMachine() });
  if (json) emitJson({ type: 'study', out: outDir, runs: results.length, report: reportFiles });
  else console.log(`\n${markdown}\nwritten to ${join(outDir, 'results.md')} and results.json`);
  if (!json) console.log(`report: ${join(outDir, 'index.html')} with ${reportFiles.length - 1} charts in ${join(outDir, 'images')}`);
}

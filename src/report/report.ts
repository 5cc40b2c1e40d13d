// The HTML report: DIR/images/*.svg (one file per chart) and DIR/index.html, which carries the
// same SVGs inline and the results table, so the page opens offline with nothing beside it.
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../train/types.js';
import { registry } from '../data/registry.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { describeSeeds, describeTraining, describeTrainings, hasSeeds, seedSummaries } from '../train/study.js';
import { accuracySpec, augmentationSpec, compareSpec, confusionSpec, curvesSpec, epochTimeSpec, gallerySpec, totalTimeSpec, type ChartNames } from './charts.js';
import { renderSvg, scopeSvgIds } from './render.js';

export interface ReportOptions {
  /** The page's heading, e.g. "simdnet study". */
  title: string;
  /** One line describing the machine the runs used. */
  machine: string;
}

export interface Chart {
  /** File name under images/, e.g. "confusion-cnn-mnist.svg". */
  file: string;
  title: string;
  svg: string;
}

const names: ChartNames = {
  dataset: (name) => (Object.hasOwn(registry, name) ? registry[name].displayName : name),
};

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function titleOf(spec: TopLevelSpec): string {
  const t = (spec as { title?: string | { text: string } }).title;
  return typeof t === 'string' ? t : (t?.text ?? '');
}

interface Section {
  heading: string;
  charts: Chart[];
}

/** Renders every chart of the report, grouped as the page shows them. */
export async function buildCharts(studyResults: RunResult[]): Promise<Section[]> {
  // With several seeds per model, every chart names the run by model and seed.
  const results = hasSeeds(studyResults) ? studyResults.map((r) => ({ ...r, model: `${r.model} seed ${r.seed}` })) : studyResults;
  const chart = async (file: string, spec: TopLevelSpec): Promise<Chart> => ({ file, title: titleOf(spec), svg: await renderSvg(spec) });
  const sections: Section[] = [];
  sections.push({
    heading: 'Test accuracy and training time',
    charts: [await chart('test-accuracy.svg', accuracySpec(results, names)), await chart('time-total.svg', totalTimeSpec(results, names)), await chart('time-per-epoch.svg', epochTimeSpec(results, names))],
  });
  const datasets = [...new Set(results.map((r) => r.dataset))];
  for (const dataset of datasets) {
    const runs = results.filter((r) => r.dataset === dataset);
    const charts: Chart[] = [];
    if (runs.length > 1) charts.push(await chart(`compare-${slug(dataset)}.svg`, compareSpec(dataset, runs, names)));
    for (const run of runs) {
      const id = `${slug(run.model)}-${slug(run.dataset)}`;
      charts.push(await chart(`curves-${id}.svg`, curvesSpec(run, names)));
      charts.push(await chart(`confusion-${id}.svg`, confusionSpec(run, names)));
      charts.push(await chart(`misclassified-${id}.svg`, gallerySpec(run, names)));
      if (run.augmentedExample) charts.push(await chart(`augmented-${id}.svg`, augmentationSpec(run, names, run.augmentedExample)));
    }
    sections.push({ heading: names.dataset(dataset), charts });
  }
  return sections;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** Each model's mean test accuracy and spread over its seeds (only for a study of several seeds). */
function seedsTable(results: RunResult[]): string {
  if (!hasSeeds(results)) return '';
  const points = (x: number) => (x * 100).toFixed(2);
  const rows = seedSummaries(results).map((s) => {
    const cells = [s.model, names.dataset(s.dataset), s.seeds.join(', '), pct(s.mean), points(s.standardDeviation), `${points(s.min)}-${points(s.max)}`, s.accuracies.map(points).join(', '), `${s.meanTrainSeconds.toFixed(1)} s`];
    return `<tr>${cells.map((c, i) => `<td${i >= 3 && i !== 6 ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  const head = ['model', 'dataset', 'seeds', 'mean test accuracy', '± sd (points)', 'min-max', 'each seed', 'mean training time'];
  return `<h2>Across seeds</h2>\n<table id="seeds">\n<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>\n`;
}

function resultsTable(results: RunResult[]): string {
  const seeds = hasSeeds(results);
  const rows = results.map((r) => {
    const vals = r.history.map((h) => h.valAccuracy).filter((v): v is number => v !== null);
    const perEpoch = r.trainSeconds / Math.max(1, r.history.length);
    const rate = (r.trainSamples * r.epochs) / Math.max(r.trainSeconds, 1e-9);
    const top = r.topMisclassifications
      .slice(0, 3)
      .map((m) => `${m.trueName} → ${m.predictedName}: ${m.count}`)
      .join('; ');
    const cells = [seeds ? `${r.model} seed ${r.seed}` : r.model, names.dataset(r.dataset), pct(r.testAccuracy), vals.length ? pct(Math.max(...vals)) : '–', r.testLoss.toFixed(4), `${r.trainSeconds.toFixed(1)} s`, `${perEpoch.toFixed(1)} s`, String(Math.round(rate)), top];
    return `<tr>${cells.map((c, i) => `<td${i >= 2 && i <= 7 ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  const head = ['model', 'dataset', 'test accuracy', 'best val accuracy', 'test loss', 'training time', 'per epoch', 'samples/s', 'top misclassifications (true → predicted: count)'];
  return `<table id="results">\n<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

/** Each model's whole training spec (layers, optimizer, schedule, loss), as the checkpoint holds it. */
function specsSection(results: RunResult[]): string {
  const specs = new Map(results.map((r) => [r.spec.name, r.spec]));
  const blocks = [...specs.values()].map((spec) => `<details class="spec"><summary>${escapeHtml(spec.name)}: ${escapeHtml(describeTraining(spec))}, learning rate ${spec.optimizer.learningRate}</summary>\n<pre>${escapeHtml(JSON.stringify(spec, null, 1))}</pre>\n</details>`);
  return `<h2>Training specs</h2>\n${blocks.join('\n')}`;
}

function page(results: RunResult[], sections: Section[], options: ReportOptions): string {
  const first = results[0];
  const setup = first
    ? `${first.epochs} epoch(s), batch ${first.batchSize}, ${describeTrainings(results)}, ${describeSeeds(results)}, ${first.trainSamples} training and ${first.validationSamples} validation images, ${first.fma ? 'FMA' : 'plain SIMD'} kernels, ${first.threads} thread(s).`
    : 'No runs.';
  let n = 0;
  const body = sections
    .map(
      (s) =>
        `<section>\n<h2>${escapeHtml(s.heading)}</h2>\n` +
        s.charts.map((c) => `<figure class="chart" data-file="images/${c.file}" data-title="${escapeHtml(c.title)}">\n${scopeSvgIds(c.svg, `c${++n}`)}\n<figcaption><a href="images/${c.file}">images/${c.file}</a></figcaption>\n</figure>`).join('\n') +
        '\n</section>',
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure.chart { margin: 1.5rem 0; overflow-x: auto; }
figcaption { font-size: 0.8rem; color: #666; }
.meta { color: #555; }
</style>
</head>
<body>
<h1>${escapeHtml(options.title)}</h1>
<p class="meta">${escapeHtml(setup)} Machine: ${escapeHtml(options.machine)}. Generated ${new Date().toISOString()}.</p>
${seedsTable(results)}<h2>Results</h2>
${resultsTable(results)}
${specsSection(results)}
${body}
</body>
</html>
`;
}

/** Writes DIR/index.html and DIR/images/*.svg; returns the paths written. */
export async function writeReport(dir: string, results: RunResult[], options: ReportOptions): Promise<string[]> {
  const sections = await buildCharts(results);
  const written: string[] = [];
  for (const chart of sections.flatMap((s) => s.charts)) {
    const path = join(dir, 'images', chart.file);
    writeFileAtomic(path, `<?xml version="1.0" encoding="UTF-8"?>\n${chart.svg}\n`);
    written.push(path);
  }
  const index = join(dir, 'index.html');
  writeFileAtomic(index, page(results, sections, options));
  written.push(index);
  return written;
}

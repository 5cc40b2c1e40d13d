// The demo page: pick a dataset and a model, train in a worker with live curves, inspect the
// test set, then draw or pick an image and see the class probabilities. Uses only the public
// embedding API (../index.ts), as any page would.
import {
  MODELS,
  createEngine,
  fetchDataset,
  suiteHeadline,
  suiteMarkdown,
  suiteTables,
  type EpochRecord,
  type EvaluateResult,
  type SuiteResult,
  type WebDataset,
  type WebEngine,
  type WebModel,
} from '../index.js';
import { LineChart, type Series } from './chart.js';
import { drawingToInput, paintImage } from './preprocess.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  form: $<HTMLFormElement>('train-form'),
  dataset: $<HTMLSelectElement>('dataset'),
  model: $<HTMLSelectElement>('model'),
  epochs: $<HTMLInputElement>('epochs'),
  learningRate: $<HTMLInputElement>('learning-rate'),
  limit: $<HTMLSelectElement>('limit'),
  threads: $<HTMLSelectElement>('threads'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  threadNote: $('thread-note'),
  status: $('status'),
  progress: $<HTMLProgressElement>('progress'),
  epoch: $('stat-epoch'),
  speed: $('stat-speed'),
  eta: $('stat-eta'),
  testAccuracy: $('test-accuracy'),
  draw: $<HTMLCanvasElement>('draw'),
  clear: $<HTMLButtonElement>('clear'),
  randomTest: $<HTMLButtonElement>('random-test'),
  testIndex: $<HTMLInputElement>('test-index'),
  tryHint: $('try-hint'),
  preview: $<HTMLCanvasElement>('input-preview'),
  prediction: $('prediction'),
  probabilities: $('probabilities'),
  resultsHint: $('results-hint'),
  confusion: $<HTMLTableElement>('confusion'),
  perClass: $('per-class'),
  gallery: $('gallery'),
  saveWeights: $<HTMLButtonElement>('save-weights'),
  loadWeights: $<HTMLInputElement>('load-weights'),
  engineInfo: $('engine-info'),
  benchmark: $<HTMLButtonElement>('benchmark'),
  copyBenchmark: $<HTMLButtonElement>('copy-benchmark'),
  benchmarkProgress: $<HTMLProgressElement>('benchmark-progress'),
  benchmarkStatus: $('benchmark-status'),
  benchmarkResult: $('benchmark-result'),
};

const TRAIN_COLOR = '#2563eb';
const VAL_COLOR = '#ea580c';
const percent = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;

let engine: WebEngine | undefined;
let dataset: WebDataset | undefined;
let model: WebModel | undefined;
/** Class names of the dataset the current model learnt (the picker may have moved on since). */
let modelClasses: string[] | undefined;
let training = false;
let benchmarking = false;
let suiteResult: SuiteResult | undefined;
let loadingDataset: Promise<void> | undefined;

const lossChart = new LineChart($<HTMLCanvasElement>('loss-chart'), { formatY: (y) => y.toFixed(2) });
const accuracyChart = new LineChart($<HTMLCanvasElement>('accuracy-chart'), { yMin: 0, yMax: 1, formatY: (y) => `${Math.round(y * 100)}%` });

function setStatus(text: string, error = false): void {
  ui.status.textContent = text;
  ui.status.classList.toggle('error', error);
}

function fail(error: unknown): void {
  setStatus(error instanceof Error ? error.message : String(error), true);
  console.error(error);
}

function refreshButtons(): void {
  const busy = training || benchmarking;
  ui.train.disabled = busy || !engine || !dataset;
  ui.stop.disabled = !training;
  for (const el of [ui.dataset, ui.model, ui.epochs, ui.learningRate, ui.limit, ui.threads]) el.disabled = busy;
  ui.saveWeights.disabled = busy || !model || !modelClasses;
  ui.benchmark.disabled = busy || !engine;
  ui.copyBenchmark.disabled = !suiteResult;
}

// ---- Engine and threads

async function startEngine(): Promise<void> {
  engine?.terminate();
  engine = undefined;
  model = undefined;
  modelClasses = undefined;
  refreshButtons();
  const threads = Number(ui.threads.value);
  engine = await createEngine({ threads });
  const { info } = engine;
  ui.threadNote.textContent = info.threadNote;
  ui.threadNote.classList.toggle('ok', info.threads > 1 || info.requestedThreads === 1);
  ui.engineInfo.textContent = `${info.variant.fma ? 'relaxed-SIMD FMA' : 'SIMD'} kernels, ${info.threads} thread${info.threads > 1 ? 's' : ''}, ${info.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated'}`;
  document.body.dataset.engine = 'ready';
  refreshButtons();
}

function fillThreads(): void {
  const cores = navigator.hardwareConcurrency || 1;
  for (let t = 1; t <= Math.max(cores, 1); t++) ui.threads.add(new Option(String(t), String(t)));
  ui.threads.value = String(cores);
}

// ---- Data

async function loadDataset(name: string): Promise<void> {
  dataset = undefined;
  refreshButtons();
  const label = ui.dataset.selectedOptions[0].text;
  setStatus(`Loading ${label}…`);
  const loaded = await fetchDataset(name, {
    onProgress: (received, total) => setStatus(`Loading ${label}: ${(received / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`),
  });
  if (ui.dataset.value !== name) return; // the user picked another meanwhile
  dataset = loaded;
  setStatus(`${loaded.displayName}: ${loaded.train.count.toLocaleString()} training and ${loaded.test.count.toLocaleString()} test images${loaded.verified ? ', checksums verified' : ''}. Ready.`);
  ui.testIndex.max = String(loaded.test.count - 1);
  ui.tryHint.textContent = name === 'mnist' ? 'Draw a digit (white on black), or pick a test image.' : 'Draw a garment (white on black), or pick a test image.';
  refreshButtons();
}

// ---- Training

interface Curves {
  trainLoss: [number, number][];
  trainAcc: [number, number][];
  valLoss: [number, number][];
  valAcc: [number, number][];
}

function drawCurves(curves: Curves, epochs: number): void {
  const series = (train: [number, number][], val: [number, number][]): Series[] => [
    { name: 'training', color: TRAIN_COLOR, points: train },
    { name: 'validation', color: VAL_COLOR, points: val, dots: true },
  ];
  lossChart.set(series(curves.trainLoss, curves.valLoss), epochs);
  accuracyChart.set(series(curves.trainAcc, curves.valAcc), epochs);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

async function train(): Promise<void> {
  if (!engine || !dataset || training) return;
  const data = dataset;
  const epochs = Math.max(1, Math.min(50, Math.floor(Number(ui.epochs.value) || 1)));
  const limit = Math.min(Number(ui.limit.value), data.train.count);
  const trainCount = Math.floor(limit * 0.9);
  // Empty: the model's own rate (the placeholder shows it).
  const rateText = ui.learningRate.value.trim();
  const learningRate = rateText === '' ? undefined : Number(rateText);
  if (learningRate !== undefined && !(learningRate > 0 && Number.isFinite(learningRate))) {
    setStatus(`Learning rate must be a positive number, got '${rateText}'.`, true);
    return;
  }
  training = true;
  model = undefined;
  modelClasses = undefined;
  document.body.dataset.state = 'training';
  refreshButtons();
  clearResults();
  const curves: Curves = { trainLoss: [], trainAcc: [], valLoss: [], valAcc: [] };
  drawCurves(curves, epochs);
  ui.testAccuracy.textContent = '–';
  delete ui.testAccuracy.dataset.value;
  try {
    const name = ui.model.value;
    setStatus(`Training ${name} on ${trainCount.toLocaleString()} ${data.displayName} images (${limit - trainCount} held out for validation)…`);
    const current = await engine.model(name, { seed: 0 });
    model = current;
    const fit = await current.fit(data.train, {
      epochs,
      learningRate,
      limit,
      validationSplit: 0.1,
      onBatch: (p) => {
        const done = (p.epoch - 1) * trainCount + p.samples;
        const rate = p.samples / Math.max(p.seconds, 1e-6);
        ui.progress.value = done / (trainCount * epochs);
        ui.epoch.textContent = `${p.epoch} / ${epochs}`;
        ui.speed.textContent = Math.round(rate).toLocaleString();
        ui.eta.textContent = formatSeconds((trainCount * epochs - done) / rate);
        const x = p.epoch - 1 + p.samples / trainCount;
        curves.trainLoss.push([x, p.loss]);
        curves.trainAcc.push([x, p.accuracy]);
        drawCurves(curves, epochs);
      },
      onEpoch: (record: EpochRecord) => {
        if (record.valLoss !== null && record.valAccuracy !== null) {
          curves.valLoss.push([record.epoch, record.valLoss]);
          curves.valAcc.push([record.epoch, record.valAccuracy]);
        }
        drawCurves(curves, epochs);
      },
    });
    ui.eta.textContent = fit.stopped ? 'stopped' : 'done';
    ui.speed.textContent = Math.round(fit.samplesPerSecond).toLocaleString();
    setStatus(`Evaluating on the ${data.test.count.toLocaleString()} test images…`);
    const evaluation = await current.evaluate(data.test);
    modelClasses = data.classNames;
    showResults(evaluation, data);
    const last = fit.history[fit.history.length - 1];
    setStatus(
      `${fit.stoppedAt ? `Stopped ${fit.stoppedAt.batch ? `during epoch ${fit.stoppedAt.epoch + 1}` : `after epoch ${fit.stoppedAt.epoch}`}` : `Trained: ${fit.history.length} epoch${fit.history.length > 1 ? 's' : ''}`}, ${Math.round(fit.samplesPerSecond).toLocaleString()} samples/s` +
        (last?.valAccuracy != null ? `, validation accuracy ${percent(last.valAccuracy, 2)}` : '') +
        `, test accuracy ${percent(evaluation.accuracy, 2)}.`,
    );
    document.body.dataset.state = 'trained';
  } catch (error) {
    document.body.dataset.state = 'failed';
    fail(error);
  } finally {
    training = false;
    refreshButtons();
  }
  await predictCurrent();
}

// ---- Results

function clearResults(): void {
  ui.confusion.replaceChildren();
  ui.perClass.replaceChildren();
  ui.gallery.replaceChildren();
  ui.prediction.textContent = '';
  ui.probabilities.replaceChildren();
}

function barRow(name: string, value: number, label: string, top = false): HTMLLIElement {
  const li = document.createElement('li');
  if (top) li.className = 'top';
  const nameEl = document.createElement('span');
  nameEl.className = 'name';
  nameEl.textContent = name;
  nameEl.title = name;
  const track = document.createElement('span');
  track.className = 'track';
  const fill = document.createElement('span');
  fill.className = 'fill';
  fill.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;
  track.append(fill);
  const valueEl = document.createElement('span');
  valueEl.className = 'value';
  valueEl.textContent = label;
  li.append(nameEl, track, valueEl);
  return li;
}

function showResults(result: EvaluateResult, data: WebDataset): void {
  ui.testAccuracy.textContent = percent(result.accuracy, 2);
  ui.testAccuracy.dataset.value = String(result.accuracy);
  ui.resultsHint.textContent = `Test accuracy ${percent(result.accuracy, 2)}, loss ${result.loss.toFixed(4)}, on ${data.test.count.toLocaleString()} ${data.displayName} test images.`;
  const names = data.classNames;

  // Confusion matrix: rows true, columns predicted; columns by index to stay narrow on phones.
  const matrix = result.confusionMatrix;
  const head = document.createElement('thead');
  const headRow = head.insertRow();
  const corner = document.createElement('th');
  corner.textContent = 'true ╲ pred';
  headRow.append(corner);
  names.forEach((n, i) => {
    const th = document.createElement('th');
    th.textContent = String(i);
    th.title = n;
    headRow.append(th);
  });
  const body = document.createElement('tbody');
  const max = Math.max(...matrix.flatMap((row, t) => row.filter((_, p) => p !== t)), 1);
  matrix.forEach((row, t) => {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.textContent = names[0] === '0' ? String(t) : `${t} ${names[t]}`;
    tr.append(th);
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, p) => {
      const td = tr.insertCell();
      td.textContent = String(count);
      td.title = `true ${names[t]}, predicted ${names[p]}: ${count}`;
      if (t === p) {
        td.className = 'diag';
        td.style.backgroundColor = `rgba(21, 128, 61, ${(0.15 + 0.5 * (count / total)).toFixed(3)})`;
      } else if (count > 0) {
        td.style.backgroundColor = `rgba(185, 28, 28, ${(0.08 + 0.6 * (count / max)).toFixed(3)})`;
      }
    });
  });
  const caption = document.createElement('caption');
  caption.textContent = 'Rows: true class. Columns: predicted class.';
  ui.confusion.replaceChildren(caption, head, body);

  ui.perClass.replaceChildren(...result.perClassAccuracy.map((acc, c) => barRow(`${c} ${names[c] === String(c) ? '' : names[c]}`.trim(), acc, percent(acc))));

  // The most confident mistakes first.
  const labels = data.test.labels;
  const wrong: number[] = [];
  for (let i = 0; i < data.test.count; i++) if (result.predictions[i] !== labels[i]) wrong.push(i);
  wrong.sort((a, b) => result.confidences[b] - result.confidences[a] || a - b);
  const pixels = data.test.rows * data.test.cols;
  ui.gallery.replaceChildren(
    ...wrong.slice(0, 24).map((index) => {
      const figure = document.createElement('figure');
      figure.title = `test image #${index}: click to try it`;
      const canvas = document.createElement('canvas');
      canvas.width = data.test.cols;
      canvas.height = data.test.rows;
      paintImage(canvas, data.test.images.subarray(index * pixels, (index + 1) * pixels), data.test.rows, data.test.cols);
      const caption = document.createElement('figcaption');
      const truth = document.createElement('div');
      truth.textContent = `true: ${names[labels[index]]}`;
      const predicted = document.createElement('div');
      predicted.className = 'wrong';
      predicted.textContent = `pred: ${names[result.predictions[index]]} ${percent(result.confidences[index], 0)}`;
      caption.append(truth, predicted);
      figure.append(canvas, caption);
      figure.addEventListener('click', () => {
        ui.testIndex.value = String(index);
        void showTestImage(index);
        ui.draw.scrollIntoView({ behavior: 'smooth', block: 'center' });
      });
      return figure;
    }),
  );
}

// ---- Drawing and prediction

const drawCtx = ui.draw.getContext('2d', { willReadFrequently: true })!;
let drawing = false;
let last: [number, number] | null = null;
let input: Uint8Array | undefined;
let predicting = false;
let predictAgain = false;

function clearDrawing(): void {
  drawCtx.fillStyle = '#000';
  drawCtx.fillRect(0, 0, ui.draw.width, ui.draw.height);
  input = undefined;
  paintImage(ui.preview, new Uint8Array(784));
  ui.prediction.textContent = '';
  ui.probabilities.replaceChildren();
}

function canvasPoint(event: PointerEvent): [number, number] {
  const rect = ui.draw.getBoundingClientRect();
  return [((event.clientX - rect.left) / rect.width) * ui.draw.width, ((event.clientY - rect.top) / rect.height) * ui.draw.height];
}

function stroke(to: [number, number]): void {
  drawCtx.strokeStyle = '#fff';
  drawCtx.fillStyle = '#fff';
  drawCtx.lineWidth = ui.draw.width / 12;
  drawCtx.lineCap = 'round';
  drawCtx.lineJoin = 'round';
  drawCtx.beginPath();
  const from = last ?? to;
  drawCtx.moveTo(from[0], from[1]);
  drawCtx.lineTo(to[0], to[1]);
  drawCtx.stroke();
  last = to;
}

function drawingChanged(): void {
  input = drawingToInput(ui.draw, modelDatasetName());
  paintImage(ui.preview, input);
  void predictCurrent();
}

/** The dataset whose preprocessing a drawing gets: the model's, else the picker's. */
function modelDatasetName(): string {
  return modelClasses && modelClasses[0] !== '0' ? 'fashion-mnist' : modelClasses ? 'mnist' : ui.dataset.value;
}

async function predictCurrent(): Promise<void> {
  if (!model || !modelClasses || training || !input) {
    if (input && !model) ui.prediction.textContent = 'Train a model to see what it predicts.';
    return;
  }
  if (predicting) {
    predictAgain = true;
    return;
  }
  predicting = true;
  try {
    const probs = await model.predict(input);
    let best = 0;
    for (let c = 1; c < probs.length; c++) if (probs[c] > probs[best]) best = c;
    const names = modelClasses;
    ui.prediction.textContent = `${names[best]} · ${percent(probs[best])}`;
    ui.prediction.dataset.class = String(best);
    ui.probabilities.replaceChildren(...Array.from(probs, (p, c) => barRow(names[c], p, percent(p), c === best)));
  } catch (error) {
    fail(error);
  } finally {
    predicting = false;
  }
  if (predictAgain) {
    predictAgain = false;
    await predictCurrent();
  }
}

async function showTestImage(index: number): Promise<void> {
  if (!dataset) return;
  const { test } = dataset;
  const i = Math.max(0, Math.min(test.count - 1, Math.floor(index) || 0));
  const pixels = test.rows * test.cols;
  input = test.images.slice(i * pixels, (i + 1) * pixels);
  paintImage(ui.preview, input);
  paintImage(ui.draw, input);
  ui.tryHint.textContent = `Test image #${i}: a ${dataset.classNames[test.labels[i]]}. Draw over it or clear to draw your own.`;
  await predictCurrent();
}

let lastMove = 0;
ui.draw.addEventListener('pointerdown', (event) => {
  drawing = true;
  last = null;
  ui.draw.setPointerCapture(event.pointerId);
  stroke(canvasPoint(event));
});
ui.draw.addEventListener('pointermove', (event) => {
  if (!drawing) return;
  stroke(canvasPoint(event));
  const now = performance.now();
  if (now - lastMove > 120) {
    lastMove = now;
    drawingChanged();
  }
});
const endStroke = (): void => {
  if (!drawing) return;
  drawing = false;
  last = null;
  drawingChanged();
};
ui.draw.addEventListener('pointerup', endStroke);
ui.draw.addEventListener('pointercancel', endStroke);

// ---- Weights

function download(data: Uint8Array | string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer> | string], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Save and load in the TensorFlow.js layers format (model.json + group1-shard1of1.bin), the files
// `simdnet train --save` writes and tf.loadLayersModel reads.
ui.saveWeights.addEventListener('click', async () => {
  if (!model || !modelClasses) return;
  try {
    const files = await model.save({ dataset: modelDatasetName(), classNames: modelClasses });
    download(files.modelJson, 'model.json', 'application/json');
    for (const [name, bytes] of Object.entries(files.shards)) download(bytes, name, 'application/octet-stream');
    setStatus(`Saved ${model.spec.name} as model.json and ${Object.keys(files.shards).join(', ')} (TensorFlow.js layers format).`);
  } catch (error) {
    fail(error);
  }
});

ui.loadWeights.addEventListener('change', async () => {
  const chosen = Array.from(ui.loadWeights.files ?? []);
  ui.loadWeights.value = '';
  if (chosen.length === 0 || !engine || !dataset || training) return;
  try {
    const json = chosen.find((f) => f.name.endsWith('.json'));
    if (!json) throw new Error('choose model.json together with its weights file (group1-shard1of1.bin)');
    const shards: Record<string, Uint8Array> = {};
    for (const file of chosen) if (file !== json) shards[file.name] = new Uint8Array(await file.arrayBuffer());
    const loaded = await engine.load({ modelJson: await json.text(), shards }, { seed: 0 });
    const [h, w, c] = loaded.spec.inputShape;
    if (h !== 28 || w !== 28 || c !== 1) throw new Error(`${json.name}: the model takes ${h}x${w}x${c} images; this page's datasets are 28x28x1`);
    if (loaded.classes !== dataset.classNames.length) throw new Error(`${json.name}: the model has ${loaded.classes} classes; ${dataset.displayName} has ${dataset.classNames.length}`);
    model = loaded;
    modelClasses = dataset.classNames;
    const from = loaded.metadata.dataset && loaded.metadata.dataset !== dataset.name ? ` (trained on ${loaded.metadata.dataset})` : '';
    setStatus(`Loaded ${loaded.spec.name}${from}; evaluating…`);
    const evaluation = await loaded.evaluate(dataset.test);
    showResults(evaluation, dataset);
    setStatus(`Loaded ${json.name} (${loaded.spec.name}${from}): test accuracy ${percent(evaluation.accuracy, 2)} on ${dataset.displayName}.`);
    document.body.dataset.state = 'loaded';
    refreshButtons();
    await predictCurrent();
  } catch (error) {
    fail(error);
  }
});

// ---- Benchmark this device: the suite of `simdnet bench --suite`, run by the worker

/** ?suite=quick runs one short repeat of everything (seconds; rough figures), for tests. */
const QUICK_SUITE = new URLSearchParams(location.search).get('suite') === 'quick';

function showSuite(result: SuiteResult): void {
  const headline = document.createElement('p');
  headline.className = 'headline';
  headline.id = 'benchmark-headline';
  headline.textContent = suiteHeadline(result);
  const parts: HTMLElement[] = [headline];
  for (const table of suiteTables(result)) {
    const title = document.createElement('h3');
    title.textContent = `${table.title}:`;
    const el = document.createElement('table');
    el.dataset.table = table.id;
    const headRow = el.createTHead().insertRow();
    table.header.forEach((text, i) => {
      const th = document.createElement('th');
      th.textContent = text;
      if (table.align[i] === 'right') th.className = 'right';
      headRow.append(th);
    });
    const body = el.createTBody();
    table.rows.forEach((cells, r) => {
      const tr = body.insertRow();
      tr.dataset.row = table.rowKeys[r];
      cells.forEach((text, i) => {
        const td = tr.insertCell();
        td.textContent = text;
        if (table.align[i] === 'right') td.className = 'right';
      });
    });
    const scroll = document.createElement('div');
    scroll.className = 'scroll';
    scroll.append(el);
    parts.push(title, scroll);
  }
  ui.benchmarkResult.replaceChildren(...parts);
}

async function runBenchmark(): Promise<void> {
  if (!engine || benchmarking || training) return;
  benchmarking = true;
  suiteResult = undefined;
  document.body.dataset.suite = 'running';
  ui.benchmarkResult.replaceChildren();
  ui.benchmarkProgress.hidden = false;
  ui.benchmarkProgress.value = 0;
  refreshButtons();
  try {
    ui.benchmarkStatus.textContent = 'Loading MNIST…';
    const mnist = dataset?.name === 'mnist' ? dataset : await fetchDataset('mnist');
    ui.benchmarkStatus.textContent = 'Starting…';
    const result = await engine.benchmarkSuite(mnist.train, {
      quick: QUICK_SUITE,
      onProgress: (p) => {
        ui.benchmarkProgress.value = p.step / p.steps;
        ui.benchmarkStatus.textContent = `${p.step} of ${p.steps}: ${p.text}`;
      },
    });
    suiteResult = result;
    showSuite(result);
    ui.benchmarkStatus.textContent = `Done in ${Math.round(result.seconds)} s.${result.threads.length === 1 && navigator.hardwareConcurrency > 1 ? ' One thread only: ' + engine.info.threadNote : ''}`;
    document.body.dataset.suite = 'done';
  } catch (error) {
    ui.benchmarkStatus.textContent = error instanceof Error ? error.message : String(error);
    ui.benchmarkStatus.classList.add('error');
    document.body.dataset.suite = 'failed';
    console.error(error);
  } finally {
    benchmarking = false;
    ui.benchmarkProgress.hidden = true;
    refreshButtons();
  }
}

ui.benchmark.addEventListener('click', () => {
  ui.benchmarkStatus.classList.remove('error');
  void runBenchmark();
});
ui.copyBenchmark.addEventListener('click', async () => {
  if (!suiteResult) return;
  try {
    await navigator.clipboard.writeText(suiteMarkdown(suiteResult));
    ui.benchmarkStatus.textContent = 'Copied the table as Markdown.';
  } catch {
    // No clipboard (an insecure origin, or permission refused): offer the text as a download.
    download(suiteMarkdown(suiteResult), 'simdnet-benchmark.md', 'text/markdown');
  }
});

// ---- Wiring

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void train();
});
ui.stop.addEventListener('click', () => {
  void model?.stop();
  setStatus('Stopping after this batch…');
});
ui.clear.addEventListener('click', () => {
  clearDrawing();
  ui.tryHint.textContent = 'Draw in the black square, or pick a test image.';
});
ui.randomTest.addEventListener('click', () => {
  if (!dataset) return;
  const index = Math.floor(Math.random() * dataset.test.count);
  ui.testIndex.value = String(index);
  void showTestImage(index);
});
ui.testIndex.addEventListener('change', () => void showTestImage(Number(ui.testIndex.value)));
ui.dataset.addEventListener('change', () => {
  loadingDataset = loadDataset(ui.dataset.value).catch(fail);
});
ui.threads.addEventListener('change', () => {
  startEngine().catch(fail);
});
/** The learning-rate field's placeholder is the chosen model's own rate, used when it is left empty. */
const showModelRate = (): void => {
  ui.learningRate.placeholder = String(MODELS[ui.model.value]?.optimizer.learningRate ?? '');
};
ui.model.addEventListener('change', showModelRate);

fillThreads();
showModelRate();
clearDrawing();
drawCurves({ trainLoss: [], trainAcc: [], valLoss: [], valAcc: [] }, Number(ui.epochs.value));
loadingDataset = loadDataset(ui.dataset.value).catch(fail);
startEngine().then(() => loadingDataset, fail);

// Thread scaling and threads under load, the way issue 12 measures them: `simdnet bench` with
// --threads 1 against the default (every core), alternated in fresh processes, first on the quiet
// machine and then with `--busy N` (default 2) processes spinning `for (;;) {}` beside it.
// Prints, per model, the medians (ranges) and default / one thread for both conditions.
//
//   npm run build && node bench/threads.js [--models cnn,mlp] [--rounds 3] [--busy 2] [--quiet-only | --load-only]
import { execFileSync } from 'node:child_process';
import { startBusy } from './busy.js';
import os from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'cnn,cnn-tuned,mlp,mlp-tuned' },
    rounds: { type: 'string', default: '3' },
    busy: { type: 'string', default: '2' },
    'quiet-only': { type: 'boolean', default: false },
    'load-only': { type: 'boolean', default: false },
  },
});
const ROOT = new URL('../', import.meta.url).pathname;
const rounds = Number(values.rounds);
const busy = Number(values.busy);
const models = values.models.split(',');

/** samples/s of one `simdnet bench` run in a fresh process (threads null: the default). */
function bench(model, threads) {
  const args = [`${ROOT}bin/simdnet.js`, 'bench', '--model', model, '--json', '--repeats', '5'];
  if (threads !== null) args.push('--threads', String(threads));
  const lines = execFileSync(process.execPath, args, { encoding: 'utf8' }).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]).samplesPerSecond;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const summary = (xs) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`;

function measure(label) {
  console.log(`\n${label}: ${rounds} alternated rounds, samples/s, medians (ranges)`);
  console.log('| model | --threads 1 | default threads | default / 1 |');
  console.log('|---|---:|---:|---:|');
  for (const model of models) {
    const one = [], all = [];
    for (let r = 0; r < rounds; r++) {
      one.push(bench(model, 1));
      all.push(bench(model, null));
    }
    console.log(`| ${model} | ${summary(one)} | ${summary(all)} | ${(median(all) / median(one)).toFixed(2)}x |`);
  }
}

console.log(`${os.cpus()[0].model.trim()}, ${os.cpus().length} cores, Node ${process.version}, commit ${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()}, ${new Date().toISOString()}`);
if (!values['load-only']) measure('quiet machine');
if (!values['quiet-only']) {
  const stopBusy = startBusy(busy);
  try {
    measure(`with ${busy} busy processes`);
  } finally {
    stopBusy();
  }
}

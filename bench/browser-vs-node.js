// Training throughput of one model in headless Chromium against Node, same thread count, same
// code: `simdnet bench` in Node and engine.benchmark() in the page both run
// src/train/throughput.ts (warm-up, then the median of repeats of full training steps).
// Runs alternate (Node, browser, Node, browser, ...) so that load from elsewhere hits both; the
// best round of each is reported beside the median, since other load only ever slows a run down.
//
//   npm run build && node bench/browser-vs-node.js [--model cnn] [--threads 1,2] [--rounds 3]
//
// Needs /usr/bin/chromium and the MNIST files ($SIMDNET_DATA or the shared copy).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn' },
    threads: { type: 'string', default: [...new Set([1, cpus().length])].join(',') },
    rounds: { type: 'string', default: '3' },
    batches: { type: 'string', default: '30' },
    repeats: { type: 'string', default: '5' },
  },
});
const threadCounts = values.threads.split(',').map(Number);
const rounds = Number(values.rounds);
const dataDir = [process.env.SIMDNET_DATA, '/work/shared/datasets'].find((d) => d && existsSync(`${d}/mnist`));
if (!dataDir) throw new Error('no MNIST copy: set SIMDNET_DATA');
const env = { ...process.env, SIMDNET_DATA: dataDir };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function nodeBench(threads) {
  const args = ['bin/simdnet.js', 'bench', '--model', values.model, '--threads', String(threads), '--batches', values.batches, '--repeats', values.repeats, '--json'];
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`simdnet bench failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

function startServer() {
  const child = spawn(process.execPath, ['bin/simdnet.js', 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /simdnet serve: (\S+)/.exec(out);
      if (match) resolve({ url: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`simdnet serve exited with ${code}`)));
  });
}

const server = await startServer();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(server.url);
  // Let the demo page finish its own start-up (engine, dataset) so it sits idle while we time.
  await page.waitForSelector('#train:not([disabled])', { timeout: 60_000 });
  const browserVersion = browser.version();
  const rows = [];
  for (const threads of threadCounts) {
    const node = [];
    const web = [];
    let fma;
    for (let round = 0; round < rounds; round++) {
      const n = nodeBench(threads);
      node.push(n.samplesPerSecond);
      const w = await page.evaluate(
        async ({ model, threads, batches, repeats }) => {
          const simdnet = await import('/simdnet.js');
          const engine = await simdnet.createEngine({ threads });
          try {
            const mnist = await simdnet.fetchDataset('mnist');
            const result = await engine.benchmark(model, mnist.train, { batches, repeats });
            return { samplesPerSecond: result.samplesPerSecond, threads: engine.info.threads, fma: engine.info.variant.fma, isolated: engine.info.crossOriginIsolated };
          } finally {
            engine.terminate();
          }
        },
        { model: values.model, threads, batches: Number(values.batches), repeats: Number(values.repeats) },
      );
      if (w.threads !== threads) throw new Error(`the page trained on ${w.threads} threads, not ${threads} (cross-origin isolated: ${w.isolated})`);
      if (w.fma !== n.fma) console.warn(`note: Node ran ${n.fma ? 'FMA' : 'plain SIMD'} kernels, the browser ${w.fma ? 'FMA' : 'plain SIMD'}`);
      fma = w.fma;
      web.push(w.samplesPerSecond);
      console.log(`  ${values.model}, ${threads} thread(s), round ${round + 1}: Node ${Math.round(n.samplesPerSecond)} samples/s, Chromium ${Math.round(w.samplesPerSecond)} samples/s`);
    }
    rows.push({ threads, node: median(node), web: median(web), nodeBest: Math.max(...node), webBest: Math.max(...web), fma });
  }
  console.log(`\n${values.model}, batch 64, median of ${rounds} rounds (each the median of ${values.repeats} x ${values.batches} steps); Node ${process.version}, Chromium ${browserVersion}, ${cpus()[0].model}`);
  const f = (x) => Math.round(x).toLocaleString('en');
  console.log('| threads | kernels | Node samples/s (median / best) | Chromium samples/s (median / best) | Node / Chromium (median / best) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.threads} | ${r.fma ? 'FMA' : 'SIMD'} | ${f(r.node)} / ${f(r.nodeBest)} | ${f(r.web)} / ${f(r.webBest)} | ${(r.node / r.web).toFixed(2)} / ${(r.nodeBest / r.webBest).toFixed(2)} |`);
  }
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} cores`);
} finally {
  await browser.close();
  server.child.kill('SIGTERM');
}

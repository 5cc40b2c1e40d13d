// The demo page's training speed with other programs busy on the cores, as a user sees it: the
// page served by `simdnet serve`, headless Chromium, the MLP trained for one epoch on 20,000
// MNIST images with the page's default threads (every core), its "samples/s" read off the page.
// Rounds alternate: the quiet machine with the page on one thread, then the page on every core
// with `--busy N` (default 2) processes spinning `for (;;) {}` beside it.
//
//   npm run build && node bench/demo-under-load.js [--model mlp] [--busy 2] [--rounds 3]
//
// Needs /usr/bin/chromium (playwright-core drives it) and the MNIST files ($SIMDNET_DATA).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startBusy } from './busy.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    busy: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROOT = new URL('../', import.meta.url).pathname;
if (!process.env.SIMDNET_DATA) {
  console.error('set SIMDNET_DATA to the folder holding mnist/ (the page trains on real MNIST)');
  process.exit(2);
}

function serve() {
  const child = spawn(process.execPath, [`${ROOT}bin/simdnet.js`, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /simdnet serve: (http:\/\/\S+)/.exec(output);
      if (match) resolve({ url: match[1], child });
    });
    child.on('exit', (code) => reject(new Error(`simdnet serve exited (${code})`)));
  });
}

/** One epoch on 20,000 images in a fresh page; the page's samples/s. */
async function trainOnce(browser, url, threads) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('body[data-engine="ready"]', { timeout: 30_000 });
    if (threads !== undefined) {
      await page.selectOption('#threads', String(threads));
      await page.waitForSelector('body[data-engine="ready"]', { timeout: 30_000 });
    }
    const used = Number((await page.textContent('#engine-info')).match(/(\d+) thread/)[1]);
    await page.waitForSelector('#train:not([disabled])', { timeout: 30_000 });
    await page.selectOption('#dataset', 'mnist');
    await page.selectOption('#model', values.model);
    await page.fill('#epochs', '1');
    await page.selectOption('#limit', '20000');
    await page.click('#train');
    await page.waitForSelector('#test-accuracy[data-value]', { timeout: 600_000 });
    return { threads: used, samplesPerSecond: Number((await page.textContent('#stat-speed')).replace(/\D/g, '')) };
  } finally {
    await page.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const server = await serve();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const quiet = [];
const loaded = [];
let loadedThreads = 0;
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    quiet.push((await trainOnce(browser, server.url, 1)).samplesPerSecond);
    const stopBusy = startBusy(Number(values.busy));
    try {
      const result = await trainOnce(browser, server.url, undefined);
      loaded.push(result.samplesPerSecond);
      loadedThreads = result.threads;
    } finally {
      stopBusy();
    }
    console.log(`round ${round + 1}: quiet, 1 thread ${quiet.at(-1)} samples/s; ${values.busy} busy processes, ${loadedThreads} threads ${loaded.at(-1)} samples/s`);
  }
} finally {
  await browser.close();
  server.child.kill();
}
const q = median(quiet);
const l = median(loaded);
console.log(`\n${values.model} in the demo page, 20,000 MNIST images, one epoch; medians of ${quiet.length} rounds:`);
console.log(`quiet machine, 1 thread: ${q} samples/s; with ${values.busy} busy processes, ${loadedThreads} threads: ${l} samples/s (${(l / q).toFixed(2)} of quiet)`);

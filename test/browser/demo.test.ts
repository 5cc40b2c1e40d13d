// The demo page in headless Chromium, served by the real `simdnet serve`: it is cross-origin
// isolated, trains the MLP on 20,000 MNIST images in a worker to over 90% test accuracy, predicts
// a digit drawn with the mouse, and fits a phone's width. Screenshots go to artifacts/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileLoadHandler } from '../io/tfjs-files.js';
import { loadModel } from '../../src/io/model-files.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ROOT, browserTestsBlocked, launchChromium, serve, type Served } from './helpers.js';

const blocked = browserTestsBlocked();
const ARTIFACTS = `${ROOT}artifacts/`;

describe.skipIf(blocked)('demo page in Chromium', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const elsewhere: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [server, browser] = await Promise.all([serve(), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:') && !request.url().startsWith('blob:')) elsewhere.push(request.url());
    });
    await page.goto(server.url);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('is cross-origin isolated and says how many threads train, and why', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/); // bound to loopback by default
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForSelector('body[data-engine="ready"]', { timeout: 20_000 });
    const note = await page.textContent('#thread-note');
    expect(note).toMatch(/^Training on (one thread|\d+ threads)/);
    expect(await page.textContent('#engine-info')).toMatch(/kernels/);
  }, 30_000);

  it('trains the MLP on 20,000 MNIST images to over 90% test accuracy', async () => {
    await page.waitForSelector('#train:not([disabled])', { timeout: 30_000 });
    await page.selectOption('#dataset', 'mnist');
    await page.selectOption('#model', 'mlp');
    await page.fill('#epochs', '1');
    await page.selectOption('#limit', '20000');
    await page.click('#train');
    await page.waitForSelector('#test-accuracy[data-value]', { timeout: 60_000 });
    const accuracy = Number(await page.getAttribute('#test-accuracy', 'data-value'));
    expect(accuracy).toBeGreaterThan(0.9);
    expect(await page.textContent('#test-accuracy')).toMatch(/^\d+\.\d\d%$/);
    expect(Number((await page.textContent('#stat-speed'))!.replace(/\D/g, ''))).toBeGreaterThan(0);
    // The results: a 10x10 confusion matrix with class names, per-class bars, a gallery of mistakes.
    expect(await page.locator('#confusion tbody tr').count()).toBe(10);
    expect(await page.locator('#confusion tbody tr:first-child td').count()).toBe(10);
    expect(await page.locator('#per-class li').count()).toBe(10);
    expect(await page.locator('#gallery figure').count()).toBeGreaterThan(0);
    expect(await page.textContent('#status')).toMatch(/test accuracy/);
  }, 90_000);

  it('predicts a digit drawn with the mouse', async () => {
    const box = (await page.locator('#draw').boundingBox())!;
    const at = (fx: number, fy: number): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
    await page.click('#clear');
    // A "7": the top bar, then the diagonal down.
    await page.mouse.move(...at(0.3, 0.25));
    await page.mouse.down();
    for (const [fx, fy] of [[0.5, 0.25], [0.7, 0.25], [0.62, 0.45], [0.55, 0.6], [0.48, 0.78]] as const) {
      await page.mouse.move(...at(fx, fy), { steps: 6 });
    }
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelectorAll('#probabilities li').length === 10, undefined, { timeout: 10_000 });
    const prediction = await page.textContent('#prediction');
    expect(prediction).toMatch(/^\d · \d+\.\d%$/);
    const sum = await page.$$eval('#probabilities .value', (cells) => cells.reduce((s, c) => s + parseFloat(c.textContent!), 0));
    expect(sum).toBeGreaterThan(98);
    expect(sum).toBeLessThan(102);
    await page.screenshot({ path: `${ARTIFACTS}browser-demo.png`, fullPage: true });
  }, 30_000);

  it('"Save weights" writes the TF.js layers format, which TF.js and simdnet read, and "Load weights" reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-demo-save-'));
    const trainedAccuracy = Number(await page.getAttribute('#test-accuracy', 'data-value'));
    const downloads: string[] = [];
    const done = new Promise<void>((resolve) => {
      page.on('download', async (download) => {
        const path = join(dir, download.suggestedFilename());
        await download.saveAs(path);
        downloads.push(download.suggestedFilename());
        if (downloads.length === 2) resolve();
      });
    });
    await page.click('#save-weights');
    await done;
    expect(downloads.sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    // TF.js itself loads it; simdnet's reader does too, with the page's class names.
    const tfModel = await tf.loadLayersModel(fileLoadHandler(dir));
    expect(tfModel.outputs[0].shape).toEqual([null, 10]);
    expect(loadModel(dir).metadata.classNames).toHaveLength(10);
    // Loaded back into a fresh page state, it evaluates to the accuracy it was trained to.
    await page.setInputFiles('#load-weights', [join(dir, 'model.json'), join(dir, 'group1-shard1of1.bin')]);
    await page.waitForSelector('body[data-state="loaded"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(new RegExp(`^Loaded model.json \\(mlp\\): test accuracy ${(trainedAccuracy * 100).toFixed(2)}% on MNIST\\.$`));
  }, 60_000);

  it('fits a phone screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${ARTIFACTS}browser-demo-phone.png`, fullPage: true });
  }, 30_000);

  it('logged no errors and asked nothing of any other origin (it works offline)', () => {
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
  });

  // Last: the page reports the failure on the console too, which the test above would count.
  it('offers cnn-plus (batch norm, same padding, augmentation) and trains it', async () => {
    await page.waitForSelector('#train:not([disabled])', { timeout: 30_000 });
    await page.selectOption('#dataset', 'mnist');
    await page.selectOption('#model', 'cnn-plus');
    // Two epochs of 20,000 (562 steps): batch normalization's moving statistics need several hundred.
    await page.fill('#epochs', '2');
    await page.selectOption('#limit', '20000');
    try {
      await page.click('#train');
      await page.waitForSelector('#test-accuracy[data-value]', { timeout: 150_000 });
      expect(Number(await page.getAttribute('#test-accuracy', 'data-value'))).toBeGreaterThan(0.9);
    } finally {
      await page.selectOption('#model', 'mlp');
      await page.fill('#epochs', '1');
    }
  }, 180_000);

  it('stops a diverging run with the CLI\'s one-line message', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.fill('#learning-rate', '1e9');
    await page.selectOption('#limit', '5000');
    await page.click('#train');
    await page.waitForSelector('body[data-state="failed"]', { timeout: 30_000 });
    // The same words as `simdnet train --lr 1e9` (test/cli/errors.test.ts): one loop, one check.
    expect(await page.textContent('#status')).toMatch(/^training diverged: the loss became NaN in epoch 1, batch \d+ of 71; try a lower learning rate than 1000000000$/);
    expect(await page.getAttribute('#status', 'class')).toMatch(/error/);
    await page.fill('#learning-rate', '');
    await page.waitForSelector('#train:not([disabled])');
  }, 60_000);
});

describe.skipIf(blocked)('demo page without cross-origin isolation', () => {
  let browser: Browser;
  let plain: Server;
  let url: string;

  beforeAll(async () => {
    // The built page from a bare static server: no COOP/COEP headers, no datasets.
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };
    plain = createServer((req, res) => {
      const name = req.url === '/' ? 'index.html' : req.url!.slice(1);
      const type = types[extname(name)];
      if (!/^[\w.-]+$/.test(name) || !type || !existsSync(`${ROOT}dist/web/${name}`)) return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': type }).end(readFileSync(`${ROOT}dist/web/${name}`));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => plain?.close(resolve));
  });

  it('trains on one thread and says why', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    await page.waitForSelector('body[data-engine="ready"]', { timeout: 20_000 });
    expect(await page.textContent('#thread-note')).toMatch(/^Training on one thread: this page is not cross-origin isolated/);
    expect(await page.textContent('#engine-info')).toMatch(/1 thread, not cross-origin isolated/);
    // No datasets here: the page says which file is missing instead of failing silently.
    await page.waitForSelector('#status.error', { timeout: 20_000 });
    expect(await page.textContent('#status')).toMatch(/MNIST .*HTTP 404/);
  }, 30_000);
});

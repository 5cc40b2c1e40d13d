// The demo page's "Benchmark this device" in Chromium: the suite of `simdnet bench --suite` runs in
// the worker (shortened by ?suite=quick) and the page shows its tables, with every model and every
// conv and dense layer pass, the machine line naming the browser and navigator.hardwareConcurrency.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ROOT, browserTestsBlocked, launchChromium, serve, type Served } from './helpers.js';
import { NOTEBOOK_MODELS } from '../../src/nn/models.js';
import { layerShapes } from '../../src/bench/kernel-suite.js';
import { suiteThreadCounts } from '../../src/bench/suite.js';

const blocked = browserTestsBlocked();

describe.skipIf(blocked)('Benchmark this device, in Chromium', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([serve(), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(`${server.url}?suite=quick`);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('runs the suite and shows every model and kernel row, under the machine line', async () => {
    await page.waitForSelector('#benchmark:not([disabled])', { timeout: 30_000 });
    await page.click('#benchmark');
    await page.waitForSelector('body[data-suite="done"], body[data-suite="failed"]', { timeout: 60_000 });
    expect(await page.getAttribute('body', 'data-suite'), (await page.textContent('#benchmark-status')) ?? '').toBe('done');

    const { userAgent, cores } = await page.evaluate(() => ({ userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency }));
    const headline = (await page.textContent('#benchmark-headline'))!;
    expect(headline).toContain(userAgent);
    expect(headline).toContain(`navigator.hardwareConcurrency ${cores}`);
    expect(headline).toMatch(/^simdnet \d+\.\d+\.\d+ benchmark suite on .*; (FMA \(relaxed SIMD\)|plain SIMD) kernels.*; quick run/);

    // The page is cross-origin isolated, so it measures 1, 2, 4, ... up to every core.
    const threads = suiteThreadCounts(cores);
    const labels = threads.map((t) => `${t} thread${t > 1 ? 's' : ''}`);
    const scaling = threads.length > 1 ? [`${labels[labels.length - 1]} / 1`] : [];
    const headers = (table: string) => page.locator(`table[data-table="${table}"] thead th`).allTextContents();
    const rowKeys = (table: string) => page.locator(`table[data-table="${table}"] tbody tr`).evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.row));
    for (const table of ['training', 'inference']) {
      expect(await headers(table)).toEqual(['model', ...labels, ...scaling]);
      expect(await rowKeys(table)).toEqual(NOTEBOOK_MODELS);
      const figures = await page.locator(`table[data-table="${table}"] tbody td:nth-child(2)`).allTextContents();
      for (const figure of figures) expect(Number(figure.replace(/,/g, ''))).toBeGreaterThan(0);
    }
    expect(await headers('kernels')).toEqual(['model', 'layer', 'shape', 'pass', 'kernels', ...labels.flatMap((l) => [`GFLOP/s, ${l}`, 'of peak'])]);
    const expected = layerShapes().flatMap((s) => [`${s.model} ${s.layer} forward`, `${s.model} ${s.layer} backward`]);
    expect(await rowKeys('kernels')).toEqual(expected);
    expect(expected).toHaveLength(28);
    const first = await page.locator('table[data-table="kernels"] tbody tr:first-child td').allTextContents();
    expect(first.slice(0, 5)).toEqual(['cnn', 'conv1', '28x28x1->32 k3', 'forward', expect.stringMatching(/^conv2d/)]);
    expect(Number(first[5])).toBeGreaterThan(0);

    mkdirSync(`${ROOT}artifacts`, { recursive: true });
    await page.locator('#benchmark-card').screenshot({ path: `${ROOT}artifacts/browser-benchmark.png` });
    expect(await page.isEnabled('#copy-benchmark')).toBe(true);
    expect(await page.isEnabled('#train')).toBe(true);
  }, 90_000);

  it('fits a phone screen without sideways scrolling, tables included', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  });

  it('logged no errors', () => {
    expect(problems).toEqual([]);
  });
});

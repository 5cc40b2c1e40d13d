// The HTML report: `simdnet study --epochs 1 --out DIR` writes index.html and one SVG per chart;
// headless Chromium opens the page from disk (offline), every chart must have rendered with its
// title, the confusion matrices and galleries must name the classes, and a full-page screenshot
// goes to artifacts/report.png. Needs `npm run build`, the real datasets and /usr/bin/chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { registry } from '../../src/data/registry.js';

const dataDir = process.env.SIMDNET_DATA ?? '/work/shared/datasets';
const haveData = existsSync(join(dataDir, 'mnist')) && existsSync(join(dataDir, 'fashion-mnist'));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) console.warn(`test/report/report.test.ts: browser checks skipped, no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
const root = join(import.meta.dirname, '../..');

const models = ['cnn', 'mlp'];
const datasets = ['mnist', 'fashion-mnist'];
const displayName = (d: string) => registry[d].displayName;

/** Every chart the report must hold, with a phrase its title contains. */
const expected: { file: string; title: string; classNames?: string[] }[] = [
  { file: 'test-accuracy.svg', title: 'Test accuracy per model and dataset' },
  { file: 'time-total.svg', title: 'Total training time per model and dataset' },
  { file: 'time-per-epoch.svg', title: 'Training time per epoch' },
  ...datasets.map((d) => ({ file: `compare-${d}.svg`, title: `${displayName(d)}: cnn vs mlp, accuracy and loss per epoch (validation solid, training dashed)` })),
  ...datasets.flatMap((d) =>
    models.flatMap((m) => [
      { file: `curves-${m}-${d}.svg`, title: `${m} on ${displayName(d)}: accuracy and loss per epoch` },
      { file: `confusion-${m}-${d}.svg`, title: `${m} on ${displayName(d)}: confusion matrix (test set)`, classNames: registry[d].classNames },
      { file: `misclassified-${m}-${d}.svg`, title: `${m} on ${displayName(d)}: most common misclassifications` },
    ]),
  ),
];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe.skipIf(!haveData)('simdnet study --out: the HTML report', () => {
  const out = mkdtempSync(join(tmpdir(), 'simdnet-report-'));

  beforeAll(async () => {
    expect(existsSync(join(root, 'dist/simdnet.js')), 'dist/simdnet.js is missing: run npm run build').toBe(true);
    const args = ['study', '--epochs', '1', '--limit', '600', '--models', models.join(','), '--datasets', datasets.join(','), '--out', out, '--json'];
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(root, 'bin/simdnet.js'), ...args], { env: { ...process.env, SIMDNET_DATA: dataDir }, timeout: 90_000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  }, 90_000);

  it('writes index.html and one standalone SVG per chart', () => {
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(readdirSync(join(out, 'images')).sort()).toEqual(expected.map((e) => e.file).sort());
    for (const chart of expected) {
      const svg = readFileSync(join(out, 'images', chart.file), 'utf8');
      expect(svg, chart.file).toMatch(/^<\?xml[^>]*>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(svg, chart.file).toContain(escapeXml(chart.title));
      for (const name of chart.classNames ?? []) expect(svg, `${chart.file}: class ${name}`).toContain(`>${escapeXml(name)}</text>`);
    }
    // Nothing is fetched from a network: no http(s) references besides XML namespaces.
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html.replace(/xmlns(:\w+)?="http[^"]*"/g, '')).not.toMatch(/(src|href)="https?:/);
    // Each model's whole training spec, as its checkpoint holds it.
    for (const model of models) expect(html).toMatch(new RegExp(`<summary>${model}: Adam, learning rate 0\\.001</summary>`));
    expect(html).toContain('&quot;optimizer&quot;: {');
  });

  // .ci/run installs Chromium and sets SIMDNET_REQUIRE_BROWSER: there a missing browser fails the launch instead of skipping.
  describe.skipIf(!haveChromium && !process.env.SIMDNET_REQUIRE_BROWSER)('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: chromiumPath,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      });
    }, 30_000);
    afterAll(async () => browser?.close());

    it('renders every chart with its title and class names, and saves a screenshot', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(join(out, 'index.html')).href);
      const charts = await page.$$eval('figure.chart', (figures) =>
        figures.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            file: f.getAttribute('data-file'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: svg?.querySelectorAll('path, rect, line, text, image').length ?? 0,
            text: Array.from(svg?.querySelectorAll('text') ?? []).map((t) => t.textContent),
            images: Array.from(svg?.querySelectorAll('image') ?? []).map((i) => (i as SVGImageElement).getBBox().width),
          };
        }),
      );
      expect(charts.map((c) => c.file).sort()).toEqual(expected.map((e) => `images/${e.file}`).sort());
      for (const want of expected) {
        const chart = charts.find((c) => c.file === `images/${want.file}`)!;
        expect(chart.width, want.file).toBeGreaterThan(100);
        expect(chart.height, want.file).toBeGreaterThan(100);
        expect(chart.marks, want.file).toBeGreaterThan(10);
        expect(chart.text, want.file).toContain(want.title);
        for (const name of want.classNames ?? []) expect(chart.text, `${want.file}: class ${name}`).toContain(name);
        if (want.file.startsWith('misclassified-')) {
          expect(chart.images.length, want.file).toBeGreaterThan(0);
          for (const width of chart.images) expect(width).toBe(56);
        }
      }
      // The table lists every run.
      const rows = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
      expect(rows.map((r) => `${r[0]} ${r[1]}`).sort()).toEqual(datasets.flatMap((d) => models.map((m) => `${m} ${displayName(d)}`)).sort());
      // Offline: the page asked for nothing but itself (images are inline data).
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);

      mkdirSync(join(root, 'artifacts'), { recursive: true });
      await page.screenshot({ path: join(root, 'artifacts/report.png'), fullPage: true });
      expect(existsSync(join(root, 'artifacts/report.png'))).toBe(true);
      await page.close();
    }, 30_000);
  });
});

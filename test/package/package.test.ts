// simdnet as its users get it: `npm pack`, the tarball installed into an empty project, and used
// there with no build step: the CLI through npx, the Node example (type-checked with tsc against
// the shipped declarations, then run), and the Vite example built from the tarball and driven in
// Chromium, with and without cross-origin isolation. Needs the npm registry (the tarball's
// dependencies, vite, typescript), the real MNIST and, for the browser part, Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { Browser } from 'playwright-core';
import { DATA_DIR, ROOT, browserTestsBlocked, launchChromium } from '../browser/helpers.js';

const built = existsSync(join(ROOT, 'dist/index.js')) && existsSync(join(ROOT, 'dist/web/simdnet.js'));
const root = mkdtempSync(join(tmpdir(), 'simdnet-package-'));
const env = { ...process.env, SIMDNET_DATA: DATA_DIR, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

function run(command: string, args: string[], cwd: string, timeout = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const r = await run(command, args, cwd);
  expect(r.code, `${command} ${args.join(' ')} in ${cwd}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A project with package.json and the tarball plus `extra` installed from the registry. */
async function project(name: string, tarball: string, extra: string[], files: Record<string, string> = {}): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  await ok('npm', ['install', tarball, ...extra], dir);
  return dir;
}

describe.skipIf(!built || !DATA_DIR)('the packed tarball in an empty project', () => {
  let tarball: string;
  let node: string;

  beforeAll(async () => {
    // npm test has just built dist/ (pretest); prepack would build it again.
    const out = await ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], ROOT);
    tarball = join(root, JSON.parse(out)[0].filename);
    node = await project('node-user', tarball, ['typescript@5.9', '@types/node@20']);
  }, 240_000);

  it('is small, and holds the builds, workers and types but no tests or sources', () => {
    const kib = statSync(tarball).size / 1024;
    // A bound that catches a stray file (a source map, a test fixture), with room for new kernels.
    expect(kib).toBeLessThan(400);
    const installed = join(node, 'node_modules/simdnet');
    for (const file of ['dist/index.js', 'dist/simdnet.js', 'dist/simdnet-worker.js', 'dist/simdnet.fma.wasm', 'dist/web/simdnet.js', 'dist/web/simdnet.worker.js', 'dist/web/simdnet.kernel-worker.js', 'dist/web/simdnet.simd.wasm', 'dist/types/index.d.ts', 'dist/types/web/index.d.ts', 'bin/simdnet.js', 'LICENSE', 'README.md']) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    for (const absent of ['src', 'test', 'assembly', 'bench', 'examples']) expect(existsSync(join(installed, absent)), absent).toBe(false);
    expect(readdirSync(join(installed, 'dist')).some((f) => f.endsWith('.map'))).toBe(false);
  });

  it('keeps its download cache in the user\'s cache folder, not in node_modules', async () => {
    const script = "import { defaultCacheDir } from './node_modules/simdnet/dist/index.js'; console.log(defaultCacheDir({ XDG_CACHE_HOME: '/x' }));";
    writeFileSync(join(node, 'cache.mjs'), script);
    expect((await ok('node', ['cache.mjs'], node)).trim()).toBe('/x/simdnet');
  });

  it('npx simdnet --help and a training run work, with no build step', async () => {
    expect(await ok('npx', ['simdnet', '--help'], node)).toMatch(/^simdnet: /);
    const trained = await ok('npx', ['simdnet', 'train', '--model', 'mlp', '--dataset', 'mnist', '--limit', '2000', '--epochs', '1', '--json'], node);
    const result = JSON.parse(trained.trim().split('\n').at(-1)!);
    expect(result.type).toBe('result');
    expect(result.testAccuracy).toBeGreaterThan(0.5); // 1,800 images, one epoch: it learned
  }, 120_000);

  it('runs the Node example, which type-checks against the shipped types; misuse does not', async () => {
    const example = readFileSync(join(ROOT, 'examples/node/example.ts'), 'utf8');
    const tsconfig = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'], skipLibCheck: false }, include: ['example.ts'] };
    writeFileSync(join(node, 'example.ts'), example);
    writeFileSync(join(node, 'tsconfig.json'), JSON.stringify(tsconfig));
    await ok('npx', ['tsc', '-p', 'tsconfig.json'], node);
    const output = await ok('node', ['out/example.js'], node);
    expect(output).toMatch(/test accuracy 0\.\d+/);
    expect(output).toMatch(/the saved model says: \d \(/);
    // The types make misuse a compile error: an unknown model name, a wrong option type.
    writeFileSync(join(node, 'misuse.ts'), "import { createModel } from 'simdnet';\nawait createModel('resnet');\nconst m = await createModel('mlp');\nawait m.fit({ images: [1, 2], labels: [0], count: 1 }, { epochs: '3' });\n");
    const misuse = await run('npx', ['tsc', '--noEmit', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--strict', 'misuse.ts'], node);
    expect(misuse.code).not.toBe(0);
    expect(misuse.stdout).toMatch(/misuse\.ts\(2,[^)]*\): error TS2345: Argument of type '"resnet"'/);
    expect(misuse.stdout).toMatch(/misuse\.ts\(4,/);
  }, 180_000);

  describe('the Vite example, built from the tarball, in Chromium', () => {
    const blocked = browserTestsBlocked();
    let browser: Browser;
    let site: string;
    const servers: Server[] = [];

    /** Serves the built site (and MNIST under data/mnist/), with or without the isolation headers. */
    async function serveSite(isolated: boolean): Promise<string> {
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.gz': 'application/gzip' };
      const server = createServer((req, res) => {
        const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
        const file = path.startsWith('/data/') ? normalize(join(DATA_DIR!, path.slice(6))) : normalize(join(site, path === '/' ? 'index.html' : path));
        if (!(file.startsWith(site) || file.startsWith(DATA_DIR!)) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
        const headers: Record<string, string> = { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' };
        if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
        res.writeHead(200, headers).end(readFileSync(file));
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    }

    beforeAll(async () => {
      if (blocked) return;
      const dir = join(root, 'vite-user');
      cpSync(join(ROOT, 'examples/vite'), dir, { recursive: true, filter: (src) => !/node_modules|dist/.test(src.slice(join(ROOT, 'examples/vite').length)) });
      await project('vite-user', tarball, ['vite@8.3.8', 'typescript@5.9']);
      await ok('npm', ['run', 'build'], dir);
      site = join(dir, 'dist');
      browser = await launchChromium();
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      for (const server of servers) server.close();
    });

    it.skipIf(blocked)('Vite copied the workers and wasm files into the build', () => {
      const assets = readdirSync(join(site, 'assets'));
      expect(assets.filter((f) => f.endsWith('.wasm')).length).toBeGreaterThanOrEqual(2);
      expect(assets.some((f) => /worker/.test(f))).toBe(true);
    });

    it.skipIf(blocked)('served with COOP/COEP: trains the MLP on every core to over 90% test accuracy on 20,000 MNIST images', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(await serveSite(true));
      await page.waitForSelector('#train:not([disabled])', { timeout: 30_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      expect(Number(await page.getAttribute('body', 'data-threads'))).toBe(cores);
      if (cores >= 2) expect(await page.textContent('#threads')).toMatch(new RegExp(`^Training on ${cores} threads`));
      await page.click('#train');
      await page.waitForSelector('body[data-accuracy], body[data-error]', { timeout: 120_000 });
      expect(await page.getAttribute('body', 'data-error')).toBeNull();
      expect(Number(await page.getAttribute('body', 'data-accuracy'))).toBeGreaterThan(0.9);
      expect(await page.getAttribute('body', 'data-predicted')).toMatch(/^\d$/);
      expect(errors).toEqual([]);
    }, 180_000);

    it.skipIf(blocked)('served without the headers: trains on one thread and says why', async () => {
      const page = await browser.newPage();
      await page.goto(await serveSite(false));
      await page.waitForSelector('#train:not([disabled])', { timeout: 30_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await page.getAttribute('body', 'data-threads')).toBe('1');
      expect(await page.textContent('#threads')).toMatch(/^Training on one thread: this page is not cross-origin isolated/);
    }, 60_000);
  });
});

describe('the README', () => {
  it('shows the Node example the package test runs, verbatim', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(ROOT, 'examples/node/example.ts'), 'utf8');
    expect(readme).toContain('```ts\n' + example + '```');
  });
});

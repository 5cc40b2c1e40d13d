// Starting `simdnet serve` and Debian's Chromium for the browser tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The shared offline copy, as CI sets it, or the usual place on these machines. */
export const DATA_DIR = [process.env.SIMDNET_DATA, '/work/shared/datasets'].find((d): d is string => !!d && existsSync(`${d}/mnist`));

/**
 * Why the browser tests cannot run here, or undefined. Without the real data they skip, as the
 * other real-data tests do; CI sets SIMDNET_REQUIRE_BROWSER=1 so that a missing browser or build fails.
 */
export function browserTestsBlocked(): string | undefined {
  if (!DATA_DIR) {
    console.warn('browser tests skipped: no MNIST copy (set SIMDNET_DATA to a folder holding mnist/)');
    return 'no MNIST copy';
  }
  const reasons: string[] = [];
  if (!existsSync(CHROMIUM)) reasons.push(`${CHROMIUM} is missing (apt-get install chromium)`);
  if (!existsSync(`${ROOT}dist/web/index.html`)) reasons.push('dist/web is not built (npm run build)');
  if (reasons.length === 0) return undefined;
  const message = `browser tests cannot run: ${reasons.join('; ')}`;
  if (process.env.SIMDNET_REQUIRE_BROWSER) throw new Error(message);
  console.warn(`${message}; skipped`);
  return message;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

export interface Served {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Runs the real CLI, `simdnet serve --port 0`, and resolves with the URL it prints. */
export function serve(extra: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [`${ROOT}bin/simdnet.js`, 'serve', '--port', '0', ...extra], {
    env: { ...process.env, SIMDNET_DATA: DATA_DIR },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simdnet serve did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /simdnet serve: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          child,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simdnet serve exited with ${code}:\n${output}`));
    });
  });
}

/** A page of `simdnet serve`'s origin in Chromium with the browser bundle loaded as window.simdnet. */
export interface BundlePage {
  page: Page;
  close(): Promise<void>;
}

/** Serves, launches Chromium and imports dist/web/simdnet.js into a page, as a page's own script would. */
export async function openBundlePage(): Promise<BundlePage> {
  const [server, browser] = await Promise.all([serve(), launchChromium()]);
  const page = await browser.newPage();
  // Any page of the origin will do; the demo's own start-up runs beside ours.
  await page.goto(server.url);
  // A string, so that vitest leaves this import() alone; the page loads the bundle as a module.
  await page.evaluate("import('/simdnet.js').then((m) => { window.simdnet = m; })");
  return {
    page,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

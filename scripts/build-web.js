// Builds the browser side into dist/web/: the embedding API (simdnet.js, ESM), the training
// worker (simdnet.worker.js) and its kernel threads (simdnet.kernel-worker.js), the demo page (index.html, demo.css, demo.js) and the wasm kernels.
// Everything is self-contained: no CDN, so a served copy works offline.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';

const out = 'dist/web';

// The shared modules the browser code imports (engine, IDX parsing) also hold Node-only paths
// (reading files, gunzip, hashing) that the browser never calls. Each Node module they import is
// replaced by a stub whose exports throw if ever called; an export not listed here fails the
// build, so a new Node dependency in shared code is noticed at once, not in a user's browser.
const nodeStubs = {
  'node:fs': ['existsSync', 'readFileSync'],
  'node:fs/promises': ['readFile'],
  'node:url': ['fileURLToPath'],
  'node:v8': ['setFlagsFromString'],
  'node:zlib': ['gunzipSync'],
  'node:crypto': ['createHash'],
  'node:path': ['basename'],
};

const stubNode = {
  name: 'stub-node-builtins',
  setup(b) {
    // The engine loads its Node-only parts (file reading, worker_threads) with import() inside
    // Engine.create, which browsers never call. Each becomes a module that throws if ever loaded,
    // so the bundle names no file that is not there (a bundler using it would try to resolve one).
    b.onResolve({ filter: /^\./ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'node-only' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
      contents: `throw new Error('${args.path} is Node-only: in a browser, use createEngine() from simdnet/web');`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (!nodeStubs[args.path]) {
        return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser stub in scripts/build-web.js` }] };
      }
      return { path: args.path, namespace: 'node-stub' };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({
      contents: nodeStubs[args.path]
        .map((name) => `export function ${name}() { throw new Error('${args.path} ${name}() is not available in the browser'); }`)
        .join('\n'),
      loader: 'js',
    }));
  },
};

// Files are overwritten in place, not the folder removed first: a running `simdnet serve` keeps
// serving while a rebuild happens.
mkdirSync(out, { recursive: true });

await build({
  entryPoints: {
    simdnet: 'src/web/index.ts',
    'simdnet.worker': 'src/web/worker.ts',
    'simdnet.kernel-worker': 'src/web/kernel-worker.ts',
    demo: 'src/web/demo/main.ts',
  },
  outdir: out,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  // Chrome 91 / Firefox 89 / Safari 16.4 are the first with wasm SIMD; nothing older can run it.
  target: ['chrome91', 'firefox89', 'safari16'],
  sourcemap: true,
  minify: true,
  legalComments: 'none',
  plugins: [stubNode],
  logLevel: 'warning',
});

for (const file of ['index.html', 'demo.css']) copyFileSync(`src/web/demo/${file}`, `${out}/${file}`);
// The two builds with private memory; the worker makes the shared ones from them (src/engine/wasm-shared.ts).
for (const variant of ['simd', 'fma']) {
  const wasm = `build/simdnet.${variant}.wasm`;
  if (!existsSync(wasm)) {
    console.error(`${wasm} is missing: run \`npm run build:wasm\` first`);
    process.exit(1);
  }
  copyFileSync(wasm, `${out}/simdnet.${variant}.wasm`);
}
for (const stale of ['simd.shared', 'fma.shared']) rmSync(`${out}/simdnet.${stale}.wasm`, { force: true });
console.log(`built the browser bundle and demo into ${out}/`);

// Builds the Node side of the package into dist/: the public API (index.js), the CLI (simdnet.js),
// the kernel-thread worker (simdnet-worker.js), the two wasm builds beside them (the engine finds
// them next to the module that loads it), and the type declarations (dist/types/). Dependencies
// stay external; Node resolves them at run time. The three entry points share their common code
// through chunks (dist/chunk-*.js) rather than each bundling it: the CLI is most of the library.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

// Only the builds with private memory ship: the engine makes the shared ones from them (src/engine/wasm-shared.ts).
const WASM = ['simd', 'fma'].map((v) => `simdnet.${v}.wasm`);

// Chunk names carry a content hash: old ones must not linger into the package.
if (existsSync('dist')) for (const file of readdirSync('dist')) if (/^chunk-.*\.js(\.map)?$/.test(file)) rmSync(`dist/${file}`);

await build({
  entryPoints: { index: 'src/index.ts', simdnet: 'src/cli/main.ts', 'simdnet-worker': 'src/engine/worker-node.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
  logLevel: 'warning',
});

mkdirSync('dist', { recursive: true });
for (const file of WASM) {
  if (!existsSync(`build/${file}`)) {
    console.error(`build/${file} is missing: run \`npm run build:wasm\` first`);
    process.exit(1);
  }
  copyFileSync(`build/${file}`, `dist/${file}`);
}
for (const stale of ['simd.shared', 'fma.shared']) rmSync(`dist/simdnet.${stale}.wasm`, { force: true });

// Declarations for both entry points (and what they reference), from the sources as they are.
rmSync('dist/types', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
console.log('built dist/ (index.js, simdnet.js, simdnet-worker.js, chunks, the two wasm builds, types/)');

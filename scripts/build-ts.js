// Builds the Node side of the package into dist/: the public API (index.js), the CLI (simdnet.js),
// the kernel-thread worker (simdnet-worker.js), the four wasm builds beside them (the engine finds
// them next to the module that loads it), and the type declarations (dist/types/). Dependencies
// stay external; Node resolves them at run time.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const WASM = ['simd', 'fma', 'simd.shared', 'fma.shared'].map((v) => `simdnet.${v}.wasm`);

await build({
  entryPoints: { index: 'src/index.ts', simdnet: 'src/cli/main.ts', 'simdnet-worker': 'src/engine/worker-node.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
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

// Declarations for both entry points (and what they reference), from the sources as they are.
rmSync('dist/types', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
console.log('built dist/ (index.js, simdnet.js, simdnet-worker.js, the wasm builds, types/)');

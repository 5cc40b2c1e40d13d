// Bundles the CLI into dist/ (dependencies stay external; Node resolves them at run time).
import { build } from 'esbuild';

await build({
  entryPoints: { simdnet: 'src/cli/main.ts', 'simdnet-worker': 'src/engine/worker-node.ts', 'simdnet-lib': 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

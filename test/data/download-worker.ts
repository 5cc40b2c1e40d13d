// Run as its own process by download-faults.test.ts (bundled with esbuild first): loads the
// "tiny" dataset through the real resolution and download code into a shared cache folder, and
// prints what it got as one JSON line.
import { readFileSync } from 'node:fs';
import { loadDataset } from '../../src/data/resolve.js';
import { sha256Hex } from '../../src/data/idx.js';

const [cacheDir, registryPath, ...mirrors] = process.argv.slice(2);
const registry = JSON.parse(readFileSync(registryPath, 'utf8'));
const dataset = await loadDataset('tiny', { cacheDir, registry, mirrors, debianDir: null, env: {}, onProgress: () => {}, retries: 1, backoffMs: 20, timeoutMs: 2000 });
console.log(JSON.stringify({ source: dataset.source.kind, count: dataset.train.count, images: sha256Hex(dataset.train.images), labels: sha256Hex(dataset.test.labels) }));

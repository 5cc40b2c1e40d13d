// simdnet study --seeds: every model once per seed, a table of the mean and spread across seeds
// (results.md, results.json and the HTML report), and a resume that keeps each seed's runs apart.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveBuild, haveData, startCli } from './cli-run.js';
import { seedSummaries, seedTable } from '../../src/train/study.js';
import type { RunResult } from '../../src/train/types.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'simdnet-seeds-'));
const study = ['study', '--models', 'mlp', '--datasets', 'mnist', '--epochs', '1', '--limit', '2000', '--threads', '1', '--json'];

describe('seed summaries', () => {
  const run = (model: string, seed: number, testAccuracy: number, trainSeconds = 2) => ({ model, dataset: 'mnist', seed, testAccuracy, trainSeconds }) as RunResult;

  it('give the mean, the sample standard deviation and the range of each model over its seeds', () => {
    const [a, b] = seedSummaries([run('cnn', 0, 0.99), run('mlp', 0, 0.97), run('cnn', 1, 0.995), run('cnn', 2, 0.985, 5)]);
    expect(a.model).toBe('cnn');
    expect(a.seeds).toEqual([0, 1, 2]);
    expect(a.mean).toBeCloseTo(0.99, 12);
    expect(a.standardDeviation).toBeCloseTo(0.005, 12);
    expect([a.min, a.max]).toEqual([0.985, 0.995]);
    expect(a.meanTrainSeconds).toBe(3);
    expect(b).toMatchObject({ model: 'mlp', seeds: [0], standardDeviation: 0 });
    expect(seedTable([run('cnn', 0, 0.99), run('cnn', 1, 0.995)])).toContain('| cnn | mnist | 0, 1 | 99.25% | 0.35 | 99.00-99.50 | 99.00, 99.50 | 2.0 s |');
  });
});

describe.skipIf(!haveData || !haveBuild)('simdnet study --seeds', () => {
  it('runs each model once per seed and reports the mean and spread; a killed study resumes seed by seed', async () => {
    const out = tempDir();
    const ref = await startCli([...study, '--seeds', '0,1,2', '--out', out]);
    expect(ref.code, ref.stderr).toBe(0);
    const results = ref.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'result');
    expect(results.map((r) => r.seed)).toEqual([0, 1, 2]);
    // Different seeds train differently (different initial weights, order and dropout).
    expect(new Set(results.map((r) => r.testAccuracy)).size).toBe(3);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.seeds).toHaveLength(1);
    expect(saved.seeds[0].accuracies).toEqual(results.map((r) => r.testAccuracy));
    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    expect(markdown).toContain('seeds 0, 1, 2');
    expect(markdown).toMatch(/\| mlp \| mnist \| 0, 1, 2 \| \d+\.\d\d% \|/);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<table id="seeds">');
    expect(html).toContain('mlp seed 2');

    const dir = tempDir();
    let finished = 0;
    const killed = await startCli([...study, '--seeds', '0,1,2', '--out', tempDir(), '--checkpoint', dir], {}, (line, child) => {
      if (JSON.parse(line).type === 'result' && ++finished === 2 && !child.killed) child.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    const resumedOut = tempDir();
    const resumed = await startCli(['study', '--resume', dir, '--out', resumedOut, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const again = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'result');
    expect(again.map((r) => r.seed)).toEqual([2]);
    expect(again[0].testAccuracy).toBe(results[2].testAccuracy);
    expect(JSON.parse(readFileSync(join(resumedOut, 'results.json'), 'utf8')).seeds[0].accuracies).toEqual(saved.seeds[0].accuracies);
  }, 120_000);

  it('refuses --seed with --seeds, malformed and repeated seeds, and a resume with other seeds, in one line each', async () => {
    const cases: [string[], RegExp][] = [
      [['--seed', '1', '--seeds', '0,1'], /^simdnet: --seed and --seeds both set the seeds; give one$/],
      [['--seeds', '0,x'], /^simdnet: --seeds expects comma-separated whole numbers >= 0 \(e\.g\. 0,1,2\), got '0,x'$/],
      [['--seeds', '1,1'], /^simdnet: --seeds lists a seed twice: '1,1'$/],
      [['--seeds', ''], /^simdnet: --seeds expects comma-separated whole numbers/],
    ];
    for (const [flags, message] of cases) {
      const result = await startCli(['study', '--models', 'mlp', ...flags]);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr.trim(), flags.join(' ')).toMatch(message);
    }
    const dir = tempDir();
    const first = await startCli([...study, '--limit', '500', '--seeds', '0,1', '--out', tempDir(), '--checkpoint', dir]);
    expect(first.code, first.stderr).toBe(0);
    const other = await startCli(['study', '--resume', dir, '--seeds', '0,2']);
    expect(other.code).toBe(2);
    expect(other.stderr.trim()).toMatch(/^simdnet: cannot resume the study in .*: it was started with --seeds \[0,1\], this run asks for \[0,2\]/);
  }, 60_000);
});

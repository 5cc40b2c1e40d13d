// A study killed with SIGKILL in the middle of its third run, then continued with --resume, skips
// the runs that had finished and ends with the results table of a study never interrupted (the
// training times aside).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveBuild, haveData, startCli } from './cli-run.js';

const study = ['study', '--models', 'mlp,mlp-tuned', '--datasets', 'mnist,fashion-mnist', '--epochs', '2', '--limit', '20000', '--threads', '1', '--json'];
const tempDir = () => mkdtempSync(join(tmpdir(), 'simdnet-study-'));

/** The results table with the time columns blanked. */
function tableWithoutTimes(out: string): string {
  return readFileSync(join(out, 'results.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|').filter((_, i) => i !== 5 && i !== 6).join('|'))
    .join('\n');
}

describe.skipIf(!haveData || !haveBuild)('resuming a study', () => {
  it('SIGKILL in run 3 of 4, then --resume: runs 1-2 are not retrained, run 3 continues, and the table is the same', async () => {
    const refOut = tempDir();
    const ref = await startCli([...study, '--out', refOut]);
    expect(ref.code, ref.stderr).toBe(0);

    const dir = tempDir();
    const out = tempDir();
    let results = 0;
    const killed = await startCli([...study, '--out', out, '--checkpoint', dir], {}, (line, child) => {
      const record = JSON.parse(line);
      if (record.type === 'result') results++;
      // The first epoch of the third run: its checkpoint exists, the run is not finished.
      if (results === 2 && record.type === 'epoch' && record.epoch === 1 && !child.killed) child.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')).results).toHaveLength(2);

    const resumed = await startCli(['study', '--resume', dir, '--out', out, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // Two runs trained now: the third (resumed: only its second epoch) and the fourth (both).
    expect(lines.filter((l) => l.type === 'result').map((l) => `${l.dataset}/${l.model}`)).toEqual(['fashion-mnist/mlp', 'fashion-mnist/mlp-tuned']);
    expect(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch)).toEqual([2, 1, 2]);
    expect(tableWithoutTimes(out)).toBe(tableWithoutTimes(refOut));
    expect(lines.at(-1).runs).toBe(4);
  }, 240_000);

  it('refuses a resume with other options, and a --checkpoint folder that already holds a study', async () => {
    const dir = tempDir();
    const first = await startCli(['study', '--models', 'mlp', '--datasets', 'mnist', '--epochs', '1', '--limit', '1000', '--out', tempDir(), '--checkpoint', dir, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const again = await startCli(['study', '--models', 'mlp', '--checkpoint', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^simdnet: --checkpoint .* already holds a study; continue it with --resume/);
    const other = await startCli(['study', '--resume', dir, '--epochs', '3']);
    expect(other.code).toBe(2);
    expect(other.stderr.trim()).toMatch(/^simdnet: cannot resume the study in .*: it was started with --epochs 1, this run asks for 3; drop the flag or pass the saved value$/);
  }, 60_000);
});

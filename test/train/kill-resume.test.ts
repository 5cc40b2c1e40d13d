// The bar, end to end through the CLI: a training killed with SIGKILL in the middle of an
// epoch, then resumed, ends with the same weights bit for bit (and the same test accuracy) as an
// uninterrupted run, and no half-written checkpoint file is left; Ctrl-C (SIGINT) saves and exits 130.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_FILE, readCheckpoint, type Checkpoint } from '../../src/train/checkpoint.js';
import { haveBuild, haveData, startCli } from './cli-run.js';

// One thread while interrupted (the machine may be shared); the resumes use every core, which must not change a bit.
const args = ['train', '--model', 'mlp', '--dataset', 'mnist', '--limit', '12000', '--epochs', '3', '--seed', '7', '--threads', '1', '--json'];
const tempDir = () => mkdtempSync(join(tmpdir(), 'simdnet-kill-'));

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function expectSameState(a: Checkpoint, b: Checkpoint): void {
  for (const key of ['params', 'layerState', 'rngState', 'order'] as const) expect(Buffer.compare(bytes(a[key]), bytes(b[key])), key).toBe(0);
  a.optimizerState.forEach((block, i) => expect(Buffer.compare(bytes(block), bytes(b.optimizerState[i])), `optimizer block ${i}`).toBe(0));
  expect(b.meta.optimizerStep).toBe(a.meta.optimizerStep);
  expect(b.meta.shufflerState).toBe(a.meta.shufflerState);
}
const resultOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const onlyCheckpoint = (dir: string) => expect(readdirSync(dir)).toEqual([CHECKPOINT_FILE]);

/** Calls `act` once, a fraction of epoch 1's duration after epoch 1's line: well inside epoch 2. */
function inEpoch2(act: (child: import('node:child_process').ChildProcess) => void) {
  let done = false;
  return (line: string, child: import('node:child_process').ChildProcess) => {
    const record = JSON.parse(line);
    if (done || record.type !== 'epoch' || record.epoch !== 1) return;
    done = true;
    setTimeout(() => act(child), Math.min(100, record.seconds * 150));
  };
}

describe.skipIf(!haveData || !haveBuild)('interrupting a training (CLI)', () => {
  let reference: { checkpoint: Checkpoint; result: { testAccuracy: number; testLoss: number } };
  const referenceRun = async () => {
    if (reference) return reference;
    const dir = tempDir();
    const run = await startCli([...args, '--checkpoint', dir]);
    expect(run.code, run.stderr).toBe(0);
    onlyCheckpoint(dir);
    reference = { checkpoint: readCheckpoint(dir)!, result: resultOf(run.stdout) };
    return reference;
  };

  it('SIGKILL in the middle of epoch 2, then --resume: bit-identical final weights and test accuracy', async () => {
    const ref = await referenceRun();
    const dir = tempDir();
    const killed = await startCli([...args, '--checkpoint', dir], {}, inEpoch2((child) => child.kill('SIGKILL')));
    expect(killed.signal).toBe('SIGKILL');
    // What survived is the complete epoch-1 checkpoint: killed mid-epoch, nothing half-written.
    onlyCheckpoint(dir);
    const survived = readCheckpoint(dir)!;
    // Epoch 1's checkpoint (epoch 2's only if this machine stalled the kill by a whole epoch).
    expect(survived.meta.batch).toBe(0);
    expect([1, 2]).toContain(survived.meta.epoch);

    const resumed = await startCli(['train', '--resume', dir, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toBe('');
    const final = readCheckpoint(dir)!;
    expect(final.meta.epoch).toBe(3);
    expectSameState(ref.checkpoint, final);
    const result = resultOf(resumed.stdout);
    expect(result.testAccuracy).toBe(ref.result.testAccuracy);
    expect(result.testLoss).toBe(ref.result.testLoss);
    expect(result.history.map((h: { trainLoss: number }) => h.trainLoss)).toEqual(ref.checkpoint.meta.history.map((h) => h.trainLoss));
    onlyCheckpoint(dir);
  }, 120_000);

  it('a storm of SIGKILLs at odd moments (between, and by chance during, checkpoint writes) never leaves a damaged checkpoint; the end is still bit-identical', async () => {
    // Tiny epochs (9 batches), so checkpoint writes are a good share of the time and kills land between and during them.
    const storm = ['train', '--model', 'mlp', '--dataset', 'mnist', '--limit', '640', '--epochs', '25', '--seed', '3', '--threads', '1', '--json'];
    const refDir = tempDir();
    const ref = await startCli([...storm, '--checkpoint', refDir]);
    expect(ref.code, ref.stderr).toBe(0);
    const dir = tempDir();
    let finished = false;
    for (const delayMs of [3, 11, 23, 37, 59, 83]) {
      const resume = readCheckpoint(dir) !== undefined;
      const run = await startCli(resume ? ['train', '--resume', dir, '--threads', '1', '--json'] : [...storm, '--checkpoint', dir], {}, (line, child) => {
        if (JSON.parse(line).type === 'epoch' && !child.killed) setTimeout(() => child.kill('SIGKILL'), delayMs);
      });
      // Whatever the moment, checkpoint.bin is absent or whole; only hidden temporaries may be left.
      for (const name of readdirSync(dir)) expect(name === CHECKPOINT_FILE || /^\.checkpoint\.bin\.\d+\.[0-9a-f]+\.tmp$/.test(name), name).toBe(true);
      if (readdirSync(dir).includes(CHECKPOINT_FILE)) expect(() => readCheckpoint(dir)).not.toThrow();
      if (run.code === 0) {
        finished = true;
        break;
      }
      expect(run.signal).toBe('SIGKILL');
    }
    if (!finished) {
      const last = await startCli(['train', '--resume', dir, '--json']);
      expect(last.code, last.stderr).toBe(0);
    }
    onlyCheckpoint(dir);
    expectSameState(readCheckpoint(refDir)!, readCheckpoint(dir)!);
  }, 180_000);

  it('SIGINT in epoch 2 saves a mid-epoch checkpoint and exits 130 with one line; resuming ends bit-identical', async () => {
    const ref = await referenceRun();
    const dir = tempDir();
    const stopped = await startCli([...args, '--checkpoint', dir], {}, inEpoch2((child) => child.kill('SIGINT')));
    expect(stopped.code).toBe(130);
    const lines = stopped.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^simdnet: interrupted in epoch [23], batch \\d+ of 169; checkpoint written to ${dir}; continue with: simdnet train --resume ${dir}$`));
    onlyCheckpoint(dir);
    const saved = readCheckpoint(dir)!;
    expect([1, 2]).toContain(saved.meta.epoch);
    expect(saved.meta.batch).toBeGreaterThan(0);

    const resumed = await startCli(['train', '--resume', dir, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectSameState(ref.checkpoint, readCheckpoint(dir)!);
    expect(resultOf(resumed.stdout).testAccuracy).toBe(ref.result.testAccuracy);
  }, 120_000);

  it('SIGTERM counts as the first stop request and a second signal exits at once with 130, leaving no temporary file', async () => {
    const dir = tempDir();
    const stopped = await startCli([...args, '--checkpoint', dir], {}, inEpoch2((child) => {
      child.kill('SIGTERM');
      child.kill('SIGINT');
    }));
    expect(stopped.signal).toBeNull();
    expect(stopped.code).toBe(130);
    for (const name of readdirSync(dir)) expect(name).toBe(CHECKPOINT_FILE);
    expect(readCheckpoint(dir)!.meta.epoch).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('a custom spec (SGD with Nesterov momentum, cosine schedule) from --spec: SIGKILL mid-epoch, then --resume without the file, ends bit-identical', async () => {
    const specFile = join(tempDir(), 'my-mlp.json');
    writeFileSync(
      specFile,
      JSON.stringify({
        name: 'my-mlp',
        inputShape: [28, 28, 1],
        layers: [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
        optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
        schedule: { type: 'cosine' },
      }),
    );
    const custom = ['train', '--spec', specFile, '--dataset', 'mnist', '--limit', '12000', '--epochs', '3', '--seed', '4', '--threads', '1', '--json'];
    const refDir = tempDir();
    const ref = await startCli([...custom, '--checkpoint', refDir]);
    expect(ref.code, ref.stderr).toBe(0);
    const refResult = resultOf(ref.stdout);
    expect(refResult.spec.optimizer).toEqual({ type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true });
    expect(refResult.testAccuracy).toBeGreaterThan(0.9); // it learns with this optimizer

    const dir = tempDir();
    const killed = await startCli([...custom, '--checkpoint', dir], {}, inEpoch2((child) => child.kill('SIGKILL')));
    expect(killed.signal).toBe('SIGKILL');
    onlyCheckpoint(dir);
    expect(readCheckpoint(dir)!.meta.options.spec.name).toBe('my-mlp');
    // The checkpoint carries the whole spec: no --spec needed to continue.
    const resumed = await startCli(['train', '--resume', dir, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectSameState(readCheckpoint(refDir)!, readCheckpoint(dir)!);
    const result = resultOf(resumed.stdout);
    expect(result.testAccuracy).toBe(refResult.testAccuracy);
    expect(result.testLoss).toBe(refResult.testLoss);
  }, 120_000);
});

// Runs the built CLI (bin/simdnet.js, from `npm run build`) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '../..');
export const bin = join(repoRoot, 'bin/simdnet.js');
export const dataDir = process.env.SIMDNET_DATA ?? '/work/shared/datasets';
export const haveData = existsSync(join(dataDir, 'mnist'));
export const haveBuild = existsSync(join(repoRoot, 'dist/simdnet.js'));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `onLine` sees each stdout line as it arrives, with the child to signal. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}, onLine?: (line: string, child: ChildProcess) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, SIMDNET_DATA: dataDir, SIMDNET_DEBUG: '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) onLine?.(line, child);
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

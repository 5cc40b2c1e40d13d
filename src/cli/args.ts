// Flag parsing on top of node:util's parseArgs (strict: unknown flags are errors), with values
// checked here so that every mistake becomes one line naming the flag and what was expected.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SimdnetError } from '../engine/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseFlags(command: string, argv: string[], options: Options, allowPositionals = false): ParsedFlags {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals });
    return { values: parsed.values as ParsedFlags['values'], positionals: parsed.positionals };
  } catch (error) {
    // parseArgs explains in several lines; keep the first, plus its hint for values like `--seed -1`.
    const lines = (error as Error).message.split('\n');
    const dash = lines.find((line) => line.startsWith('To specify an option argument starting with a dash'));
    const first = lines[0].replace(/\. To specify a positional argument.*$/, '');
    const message = dash ? `${first.replace(/\.$/, '')}; a value starting with a dash is written ${dash.replace(/^.* use /, '')}` : first;
    throw new SimdnetError(`${command}: ${message} (see simdnet ${command} --help)`);
  }
}

export function intFlag(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new SimdnetError(`--${flag} expects an integer >= ${min}, got '${value}'`);
  }
  return n;
}

export function floatFlag(value: string | undefined, flag: string, fallback: number, check: (n: number) => boolean, expected: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new SimdnetError(`--${flag} expects ${expected}, got '${value}'`);
  return n;
}

export function choiceFlag<T extends string>(value: string | undefined, flag: string, choices: readonly T[], fallback?: T): T {
  if (value === undefined) {
    if (fallback === undefined) throw new SimdnetError(`--${flag} is required: one of ${choices.join(', ')}`);
    return fallback;
  }
  if (!choices.includes(value as T)) throw new SimdnetError(`--${flag} expects one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

export function listFlag<T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T[] {
  if (value === undefined) return [...choices];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new SimdnetError(`--${flag} expects a comma-separated list of ${choices.join(', ')}`);
  for (const item of items) {
    if (!choices.includes(item as T)) throw new SimdnetError(`--${flag}: unknown '${item}', expected some of ${choices.join(', ')}`);
  }
  return items as T[];
}

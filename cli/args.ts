/** Command-line parsing on node:util parseArgs, with the options every command accepts. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  profile: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionsConfig;

export interface Parsed<O extends OptionsConfig> {
  values: ReturnType<
    typeof parseArgs<{ options: O & typeof COMMON_OPTIONS; allowPositionals: true }>
  >['values'];
  positionals: string[];
  /** What followed `--`, for commands that run a command. */
  rest: string[];
}

/** Parses `args` (everything after the command word) against the command's options plus the common ones. */
export function parseCommand<O extends OptionsConfig>(args: string[], options: O, usage: string): Parsed<O> {
  const separator = args.indexOf('--');
  const own = separator === -1 ? args : args.slice(0, separator);
  const rest = separator === -1 ? [] : args.slice(separator + 1);
  try {
    const { values, positionals } = parseArgs({
      args: own,
      options: { ...options, ...COMMON_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed<O>['values'], positionals, rest };
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message.replace(/\. To specify a positional.*$/s, '')}\n${usage}`,
    );
  }
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `900`, `900s`, `15m`, `1h`, `1h30m`, `2d` -> seconds. */
export function parseDuration(text: string, flag = '--duration'): number {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) return Number(value);
  const parts = [...value.matchAll(/(\d+)([smhd])/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== value)
    throw new UsageError(`${flag} must be a duration such as 900, 15m, 1h or 1h30m, got '${text}'`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNITS[unit as string] ?? 0), 0);
}

/** An RFC 3339 time, or a duration meaning "that long ago" (`24h`, `7d`) -> RFC 3339 UTC. */
export function parseTime(text: string, flag: string, now = Date.now()): string {
  if (/^\d+[smhd]/i.test(text.trim())) {
    return toRfc3339(now - parseDuration(text, flag) * 1000);
  }
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/^\d{4}-\d\d-\d\d/.test(text))
    throw new UsageError(
      `${flag} must be an RFC 3339 time (2026-11-28T12:00:00Z) or an age such as 24h, got '${text}'`,
    );
  return toRfc3339(at);
}

export const toRfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 100)
    throw new UsageError(`--limit must be a whole number from 1 to 100, got '${text}'`);
  return Number(text);
}

/** One positional argument, required. */
export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}\n${usage}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'\n${usage}`);
  return positionals[0] as string;
}

export function noPositionals(positionals: string[], usage: string): void {
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'\n${usage}`);
}

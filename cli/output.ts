/**
 * Human output: tables and colours on a terminal, the same text without colour on a pipe
 * (`NO_COLOR` turns colour off, `FORCE_COLOR` on). `--json` output never goes through here.
 */

export interface Output {
  color: boolean;
  out(text: string): void;
  err(text: string): void;
}

export function terminalOutput(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): Output {
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const color = force || (Boolean(stdout.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb');
  const line = (text: string) => {
    const clean = printable(text, color);
    return clean.endsWith('\n') ? clean : `${clean}\n`;
  };
  return {
    color,
    out: (text) => stdout.write(line(text)),
    err: (text) => stderr.write(line(text)),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding escape sequences is the point
const NOT_SGR = /\x1b(?!\[[0-9;]*m)/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding escape sequences is the point
const ANY_ESCAPE = /\x1b/g;

/**
 * Text as it may reach a terminal: API data (a justification, a name) can hold control characters
 * and escape sequences; only tabs, newlines and, with colour on, colour codes get through.
 * JSON output is unaffected (JSON.stringify escapes control characters).
 */
export function printable(text: string, color: boolean): string {
  const withoutControls = text.replace(CONTROL, '\ufffd');
  return color ? withoutControls.replace(NOT_SGR, '\ufffd') : withoutControls.replace(ANY_ESCAPE, '\ufffd');
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 } as const;
export type Style = keyof typeof CODES;

export const paint = (output: Pick<Output, 'color'>, style: Style, text: string) =>
  output.color ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;
const width = (text: string) => [...text.replace(ANSI, '')].length;

/** Left-aligned columns separated by two spaces; cells may carry colour. */
export function table(headers: string[], rows: string[][], output: Pick<Output, 'color'>): string {
  const widths = headers.map((header, i) =>
    Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => paint(output, 'bold', h))), ...rows.map(line)].join('\n');
}

/** `key: value` lines with aligned values. */
export function details(pairs: Array<[string, string]>, output: Pick<Output, 'color'>): string {
  const keyWidth = Math.max(...pairs.map(([key]) => key.length));
  return pairs
    .map(([key, value]) => `${paint(output, 'dim', `${key}:`.padEnd(keyWidth + 1))} ${value}`)
    .join('\n');
}

const STATUS_STYLE: Record<string, Style> = {
  approved: 'green',
  justified: 'green',
  pending: 'yellow',
  denied: 'red',
  unjustified: 'red',
  cancelled: 'dim',
  expired: 'dim',
  consumed: 'dim',
};

export const status = (output: Pick<Output, 'color'>, value: string) => {
  const style = STATUS_STYLE[value];
  return style ? paint(output, style, value) : value;
};

/** 900 -> `15m`, 3600 -> `1h`, 5400 -> `1h30m`, 45 -> `45s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, rest && `${rest}s`].filter(Boolean);
  return parts.length ? parts.slice(0, 2).join('') : '0s';
}

/** A time relative to now: `in 14m`, `3h ago`. */
export function relative(iso: string, now = Date.now()): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const delta = Math.round((at - now) / 1000);
  if (Math.abs(delta) < 5) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/** `2026-11-28T12:00:00Z` -> `2026-11-28 12:00Z` (UTC, to the minute). */
export const shortTime = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');

export function truncate(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ')];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

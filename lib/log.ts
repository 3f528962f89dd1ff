/**
 * Structured JSON log lines on stdout (CloudWatch picks them up). Fields are named by the caller; any
 * field whose name suggests a secret is replaced before the line is written, as a second line of
 * defence: no caller should pass one in the first place.
 */
const SECRET_FIELD = /secret|token|authorization|password|credential/i;

function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Deeper than anything hallpass logs: drop it rather than print what was not inspected.
  if (depth > 5) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  // A plain loop: every request logs, and entries/map/fromEntries allocate three arrays per object.
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    copy[key] = SECRET_FIELD.test(key)
      ? '[redacted]'
      : redact((value as Record<string, unknown>)[key], depth + 1);
  }
  return copy;
}

type Level = 'info' | 'warn' | 'error';

function write(level: Level, event: string, fields: Record<string, unknown>): void {
  // Fields first: a field named like these can never relabel the line.
  const line = JSON.stringify({
    ...(redact(fields) as object),
    level,
    event,
    time: new Date().toISOString(),
  });
  if (level === 'error') console.error(line);
  else console.log(line);
}

export const log = {
  info: (event: string, fields: Record<string, unknown> = {}) => write('info', event, fields),
  warn: (event: string, fields: Record<string, unknown> = {}) => write('warn', event, fields),
  error: (event: string, fields: Record<string, unknown> = {}) => write('error', event, fields),
};

/** A library error's own `code` (jose's `ERR_JWKS_TIMEOUT`, Node's `ECONNREFUSED`), if it has one. */
const codeOf = (error: Error): string | undefined => {
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
};

/**
 * What may be logged of an error: its name and message (ours never carry secrets), its code if it
 * has one, and its cause's. `name` is the error's own: hallpass's errors and the AWS SDK's set it in
 * a string, which minification leaves alone; a library that names errors after their class (jose)
 * also sets a `code`, which says what the mangled name no longer does.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const code = codeOf(error);
  const inner = error.cause instanceof Error ? error.cause : undefined;
  const innerCode = inner && codeOf(inner);
  const cause = inner
    ? { cause: `${inner.name}${innerCode ? ` (${innerCode})` : ''}: ${inner.message}` }
    : {};
  return { error: error.name, ...(code ? { code } : {}), message: error.message, ...cause };
}

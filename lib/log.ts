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
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      SECRET_FIELD.test(key) ? '[redacted]' : redact(item, depth + 1),
    ]),
  );
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

/** What may be logged of an error: its class and message (ours never carry secrets), and its cause's. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const cause = error.cause instanceof Error ? { cause: `${error.cause.name}: ${error.cause.message}` } : {};
  return { error: error.name, message: error.message, ...cause };
}

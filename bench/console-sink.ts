/**
 * hallpass logs one JSON line per event on stdout, as Lambda expects. While the benchmark measures,
 * those lines go to /dev/null with a synchronous write (as the Lambda runtime writes its log lines),
 * so their cost stays in the figures but they do not flood the report; they are counted. The metrics'
 * EMF lines are written to process.stdout directly (not through console, whose lines the Lambda
 * runtime decorates): they go to /dev/null the same way, counted apart.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { format } from 'node:util';

type Method = 'log' | 'info' | 'warn' | 'error' | 'debug';
const METHODS: Method[] = ['log', 'info', 'warn', 'error', 'debug'];

export interface ConsoleSink {
  /** Lines written so far. */
  lines(): number;
  /** Lines written to process.stdout directly (the metrics' EMF lines) so far. */
  stdoutLines(): number;
  /** The last few error-level lines, to explain a failure. */
  recentErrors(): string[];
  restore(): void;
}

export function sinkConsole(): ConsoleSink {
  const fd = openSync('/dev/null', 'w');
  const saved = Object.fromEntries(METHODS.map((m) => [m, console[m]])) as Record<Method, Console[Method]>;
  let count = 0;
  let direct = 0;
  const errors: string[] = [];
  const savedWrite = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === 'string') writeSync(fd, chunk);
    else writeSync(fd, chunk);
    direct++;
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) => {
      const line = `${format(...args)}\n`;
      writeSync(fd, line);
      count++;
      if (method === 'error' || method === 'warn') {
        errors.push(line.trim());
        if (errors.length > 5) errors.shift();
      }
    };
  }
  return {
    lines: () => count,
    stdoutLines: () => direct,
    recentErrors: () => [...errors],
    restore: () => {
      for (const method of METHODS) console[method] = saved[method] as never;
      process.stdout.write = savedWrite;
      closeSync(fd);
    },
  };
}

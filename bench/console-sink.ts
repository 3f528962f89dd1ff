/**
 * hallpass logs one JSON line per event on stdout, as Lambda expects. While the benchmark measures,
 * those lines go to /dev/null with a synchronous write (as the Lambda runtime writes its log lines),
 * so their cost stays in the figures but they do not flood the report; they are counted.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { format } from 'node:util';

type Method = 'log' | 'info' | 'warn' | 'error' | 'debug';
const METHODS: Method[] = ['log', 'info', 'warn', 'error', 'debug'];

export interface ConsoleSink {
  /** Lines written so far. */
  lines(): number;
  /** The last few error-level lines, to explain a failure. */
  recentErrors(): string[];
  restore(): void;
}

export function sinkConsole(): ConsoleSink {
  const fd = openSync('/dev/null', 'w');
  const saved = Object.fromEntries(METHODS.map((m) => [m, console[m]])) as Record<Method, Console[Method]>;
  let count = 0;
  const errors: string[] = [];
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
    recentErrors: () => [...errors],
    restore: () => {
      for (const method of METHODS) console[method] = saved[method] as never;
      closeSync(fd);
    },
  };
}

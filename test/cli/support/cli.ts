/** Runs the `hallpass` CLI as a subprocess, as a user's shell would: `tsx cli/main.ts ...`. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../..');
export const TSX = resolve(REPO, 'node_modules/.bin/tsx');
export const MAIN = resolve(REPO, 'cli/main.ts');
/** The package's bin shim (what `npx hallpass` and `npm i -g` run). */
export const SHIM = resolve(REPO, 'cli/hallpass.mjs');

/** The test runner's environment without its AWS and hallpass settings: a new user's shell. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(AWS_|HALLPASS_|NO_COLOR$|FORCE_COLOR$)/.test(key)),
  );
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hallpass <args>` to completion. */
export function hallpass(args: string[], env: NodeJS.ProcessEnv, cwd = REPO): Promise<Result> {
  return new Promise((done) => {
    execFile(TSX, [MAIN, ...args], { env, cwd, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export interface Background {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr+stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number>;
}

/** Starts `hallpass <args>` in the background (login, request --wait). */
export function hallpassInBackground(args: string[], env: NodeJS.ProcessEnv): Background {
  const child = spawn(TSX, [MAIN, ...args], { env, cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk) => {
    out += chunk;
    for (const l of listeners) l();
  });
  child.stderr?.on('data', (chunk) => {
    err += chunk;
    for (const l of listeners) l();
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(`${err}\n${out}`);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\nstderr: ${err}\nstdout: ${out}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => setTimeout(check, 0));
        check();
      });
    },
  };
}

/**
 * `npm start`, as test/e2e/npm-start.test.ts runs it (PORT, HALLPASS_STATE_DIR in a temp dir, a
 * clean environment, its own process group), with one difference: it runs in a mirror of the
 * repository (symlinks to every entry, and a copy of serverless.yml, which osls refuses as a
 * symlink). serverless-esbuild builds into `<cwd>/.esbuild` and deletes it when it stops, so two
 * stacks started in the same directory break each other's functions; the mirror gives this stack
 * its own `.esbuild` and never touches the repository's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForReady } from '../../support/npm-start.ts';
import { cleanEnv, REPO } from './cli.ts';

const NOT_MIRRORED = new Set([
  '.esbuild',
  '.serverless',
  '.hallpass',
  '.git',
  '.vitest-results.json',
  'coverage',
]);

export interface LocalStack {
  api: string;
  sts: string;
  dynamodb: string;
  issuer: string;
  stateDir: string;
  output(): string;
  stop(): Promise<void>;
}

function mirror(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-cli-repo-'));
  for (const name of readdirSync(REPO)) {
    if (NOT_MIRRORED.has(name)) continue;
    if (name === 'serverless.yml') copyFileSync(join(REPO, name), join(dir, name));
    else symlinkSync(join(REPO, name), join(dir, name));
  }
  return dir;
}

function removeMirror(dir: string): void {
  // Unlink the symlinks first, so that nothing can ever delete through them.
  for (const name of readdirSync(dir)) {
    if (NOT_MIRRORED.has(name) || name === 'serverless.yml') continue;
    try {
      unlinkSync(join(dir, name));
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
}

export async function startStack(): Promise<LocalStack> {
  const cwd = mirror();
  const stateDir = mkdtempSync(join(tmpdir(), 'hallpass-cli-state-'));
  // Below the ephemeral range (32768+), where the OS hands out ports for every outgoing connection.
  const port = 26000 + Math.floor(Math.random() * 6000); // 20000-25999: the npm start e2e suite's
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd,
    env: cleanEnv({ PORT: String(port), HALLPASS_STATE_DIR: stateDir }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = waitForReady(child, 90_000);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGINT');
      } catch {}
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    }
    removeMirror(cwd);
    rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    const { match, output } = await ready;
    return {
      api: match[1] as string,
      sts: match[2] as string,
      dynamodb: match[3] as string,
      issuer: match[4] as string,
      stateDir,
      output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

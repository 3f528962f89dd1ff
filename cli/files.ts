/**
 * Where the CLI keeps its state, and how: `$HALLPASS_CONFIG_DIR`, else `$XDG_CONFIG_HOME/hallpass`,
 * else `~/.config/hallpass`. Directories it creates are 0700 and files 0600, written whole (temp file, then
 * rename) so that a reader never sees half a file; a lock file serialises token refreshes and
 * credential vending between concurrent `credential_process` calls.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HALLPASS_CONFIG_DIR) return env.HALLPASS_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'hallpass');
}

/** Creates `dir` (and parents) private to the user (0700); an existing directory is left as it is. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Writes `content` to `file` with mode 0600, atomically, creating its directory (0700). */
export function writePrivateFile(file: string, content: string): void {
  ensurePrivateDir(dirname(file));
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** The parsed JSON in `file`, or undefined when it is missing or unreadable. */
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` holding `<file>.lock` (created exclusively). A lock older than `staleMs` is taken
 * over (its holder died); waiting longer than `waitMs` runs `work` anyway rather than failing.
 */
export async function withLock<T>(file: string, work: () => Promise<T>, waitMs = 15_000, staleMs = 30_000) {
  const lock = `${file}.lock`;
  ensurePrivateDir(dirname(lock));
  const deadline = Date.now() + waitMs;
  let held = false;
  while (!held) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      held = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > staleMs) rmSync(lock, { force: true });
      else if (Date.now() > deadline) break;
      else await sleep(50 + Math.random() * 100);
    }
  }
  try {
    return await work();
  } finally {
    if (held) rmSync(lock, { force: true });
  }
}

/**
 * Opening a URL in the user's browser: `open` on macOS, `cmd /c start ""` on Windows, `xdg-open`
 * elsewhere. Commands take the opener from their Io, so tests pass a fake and no browser opens.
 * The URL is an argument of the opener's process only: never a file, never a log line.
 */
import { type SpawnOptions, spawn } from 'node:child_process';

/** Opens `url`; resolves to false when no browser could be started (the caller then prints it). */
export type Opener = (url: string) => Promise<boolean>;

/** How long an opener may run before it counts as started (xdg-open may wait for the browser). */
export const OPENER_GRACE_MS = 3000;

export interface OpenCommand {
  file: string;
  args: string[];
  options: SpawnOptions;
}

/**
 * Whether `url` may be handed to an opener: https, or http to this machine (the local stack), and
 * only printable ASCII without quotes, so that no shell or `cmd` parsing can read it as more than
 * one argument (`&` separates the sign-in URL's parameters, and cmd would run what follows it).
 */
export function openable(url: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(url) || url.includes('"')) return false;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:') return true;
    return parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  } catch {
    return false;
  }
}

/** The command that opens `url` on `platform`. */
export function openCommand(url: string, platform: NodeJS.Platform): OpenCommand {
  const options: SpawnOptions = { stdio: 'ignore', detached: true };
  if (platform === 'darwin') return { file: 'open', args: [url], options };
  if (platform === 'win32') {
    // `cmd /s /c "<line>"` runs <line> as written: `start "" "<url>"`, the empty title first, and
    // the URL in quotes so that its `&`s are not command separators. Node must not re-quote it.
    return {
      file: 'cmd',
      args: ['/d', '/s', '/c', `"start "" "${url}""`],
      options: { ...options, windowsVerbatimArguments: true, windowsHide: true },
    };
  }
  return { file: 'xdg-open', args: [url], options };
}

/**
 * The opener of this machine: starts the platform's command and waits for it, up to
 * OPENER_GRACE_MS. It fails when the command is missing or exits non-zero (xdg-open without a
 * browser); one still running after the grace period has started the browser, and is left to it.
 */
export function systemOpener(platform: NodeJS.Platform = process.platform, spawnImpl = spawn): Opener {
  return (url) => {
    if (!openable(url)) return Promise.resolve(false);
    const { file, args, options } = openCommand(url, platform);
    return new Promise((resolve) => {
      let child: ReturnType<typeof spawn>;
      try {
        child = spawnImpl(file, args, options);
      } catch {
        resolve(false);
        return;
      }
      const timer = setTimeout(() => {
        child.unref();
        resolve(true);
      }, OPENER_GRACE_MS);
      const done = (opened: boolean) => {
        clearTimeout(timer);
        resolve(opened);
      };
      child.once('error', () => done(false));
      child.once('exit', (code) => done(code === 0));
    });
  };
}

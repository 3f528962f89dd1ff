/** What a command runs with: its streams, environment, settings, token source and API client. */
import { Api } from './api.ts';
import { TokenSource } from './auth.ts';
import type { Opener } from './browser.ts';
import { loadSettings, type Settings } from './config.ts';
import { CliError } from './errors.ts';
import type { Output } from './output.ts';

export interface Io {
  env: NodeJS.ProcessEnv;
  output: Output;
  stdin: NodeJS.ReadStream;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Opens a URL in the browser (`hallpass console`); the system's opener when left out. */
  open?: Opener;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

export interface ApiContext {
  settings: Settings;
  tokens: TokenSource;
  api: Api;
  now: () => number;
}

export const profileHint = (settings: Settings) =>
  settings.profile === 'default' ? '' : ` --profile ${settings.profile}`;

/** Settings, tokens and an API client; fails clearly when no API URL is known. */
export function apiContext(profileFlag: string | undefined, io: Io): ApiContext {
  const settings = loadSettings(profileFlag, io.env);
  if (!settings.url)
    throw new CliError(
      `no hallpass API URL for profile '${settings.profile}'`,
      `run \`hallpass configure --url <api url>${profileHint(settings)}\` (locally: \`hallpass configure --local\`), or set HALLPASS_URL`,
    );
  const tokens = new TokenSource(settings, io.env, io.now);
  return { settings, tokens, api: new Api(settings.url, tokens), now: io.now };
}

/** Prints a command's usage (for --help). */
export function usage(io: Io, text: string): number {
  io.output.out(text);
  return 0;
}

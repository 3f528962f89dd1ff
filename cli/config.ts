/**
 * Profiles: one per hallpass deployment, in `<config dir>/config.json`:
 * `{"profiles": {"default": {"url", "issuer", "clientId", "scope", "audience", "resource"}}}`. The profile is `--profile`,
 * else `HALLPASS_PROFILE`, else `default`. `HALLPASS_URL` overrides the profile's API URL.
 */
import { join } from 'node:path';
import * as z from '../lib/zod.ts';
import { UsageError } from './errors.ts';
import { configDir, readJsonFile, writePrivateFile } from './files.ts';

export const DEFAULT_CLIENT_ID = 'hallpass-cli';
export const DEFAULT_SCOPE = 'openid offline_access';

const Profile = z.object({
  url: z.optional(z.string()),
  issuer: z.optional(z.string()),
  clientId: z.optional(z.string()),
  scope: z.optional(z.string()),
  /**
   * The API's HALLPASS_AUDIENCE: what `hallpass doctor` expects in the token's aud, and the `audience`
   * parameter of sign-in requests (Auth0 issues a JWT for the API only when asked for it by name).
   */
  audience: z.optional(z.string()),
  /** The `resource` parameter of sign-in requests (RFC 8707), for issuers that take one. */
  resource: z.optional(z.string()),
});
export type Profile = z.infer<typeof Profile>;

const ConfigFile = z.object({ profiles: z.record(z.string(), Profile) });
export type ConfigFile = z.infer<typeof ConfigFile>;

const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env.HALLPASS_PROFILE ?? 'default';
  if (!PROFILE_NAME.test(name) || name.startsWith('.'))
    throw new UsageError(`invalid profile name '${name}': use letters, digits, '.', '_' and '-'`);
  return name;
}

export const configFile = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'config.json');

export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const raw = readJsonFile(configFile(env));
  if (raw === undefined) return { profiles: {} };
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${configFile(env)} is not a hallpass configuration file`);
  return parsed.data;
}

export function writeProfile(name: string, profile: Profile, env: NodeJS.ProcessEnv = process.env): string {
  const config = readConfig(env);
  config.profiles[name] = profile;
  const file = configFile(env);
  writePrivateFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** What a command runs against: the profile's settings with the environment's overrides. */
export interface Settings {
  profile: string;
  url: string | undefined;
  issuer: string | undefined;
  clientId: string;
  scope: string;
  audience: string | undefined;
  resource: string | undefined;
  dir: string;
}

export function loadSettings(
  profileFlag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Settings {
  const profile = profileName(profileFlag, env);
  const stored = readConfig(env).profiles[profile] ?? {};
  const url = env.HALLPASS_URL || stored.url;
  return {
    profile,
    url: url ? normaliseApiUrl(url) : undefined,
    issuer: stored.issuer ? normaliseIssuer(stored.issuer) : undefined,
    clientId: stored.clientId ?? DEFAULT_CLIENT_ID,
    scope: stored.scope ?? DEFAULT_SCOPE,
    audience: stored.audience,
    resource: stored.resource,
    dir: configDir(env),
  };
}

/** Whether a URL's host is this machine: the only place plain HTTP may carry tokens. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * A URL the CLI sends tokens to, without its trailing slashes: https, or plain http on loopback only
 * (a bearer token over plain HTTP to another host can be read on the way).
 */
export function normaliseUrl(value: string, what: string, example: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${what}: '${value}' is not a URL (e.g. ${example})`);
  }
  if (url.protocol === 'http:' && !isLoopback(url))
    throw new UsageError(
      `${what}: '${value}' must use https (plain http only for 127.0.0.1, localhost or ::1)`,
    );
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`${what}: '${value}' must be an https URL`);
  return url.href.replace(/\/+$/, '');
}

/** `https://host/v1/` -> `https://host/v1`: the API base URL. */
export const normaliseApiUrl = (value: string): string =>
  normaliseUrl(value, 'the API URL', 'https://hallpass.example.com/v1 or http://127.0.0.1:3000/v1');

/** The OIDC issuer's URL. */
export const normaliseIssuer = (value: string): string =>
  normaliseUrl(value, 'the issuer', 'https://login.example.com or http://127.0.0.1:3012');

/**
 * Getting AWS credentials for an entitlement: from the cache while they have more than five
 * minutes left, else from `POST /v1/credentials`. For an entitlement that needs approval and no
 * `--request`, the caller's newest approved request with uses left is used. The cache is one 0600
 * file per (profile, API, caller, entitlement, request, duration) under `<config dir>/cache/<profile>/`, and
 * a lock makes concurrent calls share one vend instead of each issuing a session.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as z from '../lib/zod.ts';
import type { AccessRequest, Api, Vended } from './api.ts';
import type { TokenSource } from './auth.ts';
import type { Settings } from './config.ts';
import { ApiError, CliError } from './errors.ts';
import { readJsonFile, removeFile, withLock, writePrivateFile } from './files.ts';

/** Cached credentials are reused until this long before they expire. */
export const REUSE_MARGIN_SECONDS = 300;

const Cached = z.object({
  accessKeyId: z.string(),
  secretAccessKey: z.string(),
  sessionToken: z.string(),
  expiration: z.string(),
  entitlementId: z.string(),
  sessionId: z.string(),
  requestId: z.nullable(z.string()),
});
export type AwsCredentials = z.infer<typeof Cached> & { fromCache: boolean };

export interface CredentialRequest {
  entitlementId: string;
  requestId?: string | undefined;
  durationSeconds?: number | undefined;
  /** false: memory only (`--no-cache`). */
  cache: boolean;
}

export interface Context {
  settings: Settings;
  api: Api;
  tokens: TokenSource;
  now?: () => number;
}

export const cacheDir = (settings: Pick<Settings, 'dir' | 'profile'>) =>
  join(settings.dir, 'cache', settings.profile);

function cacheFile(context: Context, request: CredentialRequest, sub: string): string {
  const key = JSON.stringify([
    context.settings.profile,
    context.api.baseUrl,
    sub,
    request.entitlementId,
    request.requestId ?? null,
    request.durationSeconds ?? null,
  ]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return join(cacheDir(context.settings), `${request.entitlementId}.${hash}.json`);
}

export const isFresh = (expiration: string, now: number) =>
  Date.parse(expiration) - now > REUSE_MARGIN_SECONDS * 1000;

function fromVend(vended: Vended): Omit<AwsCredentials, 'fromCache'> {
  return {
    accessKeyId: vended.credentials.accessKeyId,
    secretAccessKey: vended.credentials.secretAccessKey,
    sessionToken: vended.credentials.sessionToken,
    expiration: vended.credentials.expiration,
    entitlementId: vended.session.entitlementId,
    sessionId: vended.session.id,
    requestId: vended.session.requestId,
  };
}

const profileFlag = (settings: Settings) =>
  settings.profile === 'default' ? '' : ` --profile ${settings.profile}`;

/** The caller's newest approved requests for `entitlementId` with uses left and time to use them. */
export async function usableRequests(api: Api, entitlementId: string, now: number): Promise<AccessRequest[]> {
  const found: AccessRequest[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const list = await api.listRequests({ view: 'mine', status: 'approved', limit: 100, cursor });
    for (const item of list.items)
      if (item.entitlementId === entitlementId && item.usesRemaining > 0 && Date.parse(item.expiresAt) > now)
        found.push(item);
    if (!list.nextCursor) break;
    cursor = list.nextCursor;
  }
  return found;
}

/**
 * Calls `call` with the request id given; when none was given and the API answers
 * approval_required, calls it again with each of the caller's newest approved requests with uses
 * left, until one is accepted (a 409 means used up or expired since it was listed).
 */
export async function withApprovedRequest<T>(
  context: Pick<Context, 'api' | 'settings' | 'now'>,
  request: { entitlementId: string; requestId?: string | undefined },
  call: (requestId: string | undefined) => Promise<T>,
): Promise<T> {
  try {
    return await call(request.requestId);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'approval_required' || request.requestId) throw error;
  }
  // Needs approval and none was named: use the newest approved request with uses left.
  const now = (context.now ?? Date.now)();
  const candidates = await usableRequests(context.api, request.entitlementId, now);
  for (const candidate of candidates) {
    try {
      return await call(candidate.id);
    } catch (error) {
      // Used up or expired since it was listed (another terminal?): try the next one.
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
    }
  }
  throw new CliError(
    `'${request.entitlementId}' needs an approved request, and you have none with uses left`,
    `ask for one: hallpass request ${request.entitlementId} --reason "<why you need it>" --wait${profileFlag(context.settings)}`,
  );
}

function vend(context: Context, request: CredentialRequest): Promise<Vended> {
  const flags = { entitlementId: '<entitlement>', requestId: '--request', durationSeconds: '--duration' };
  return withApprovedRequest(context, request, (requestId) =>
    context.api.vend(
      {
        entitlementId: request.entitlementId,
        ...(requestId ? { requestId } : {}),
        ...(request.durationSeconds !== undefined ? { durationSeconds: request.durationSeconds } : {}),
      },
      flags,
    ),
  );
}

export async function obtainCredentials(
  context: Context,
  request: CredentialRequest,
): Promise<AwsCredentials> {
  const now = context.now ?? Date.now;
  const identity = context.tokens.identity();
  if (!request.cache || !identity) {
    // No identity to key a cache on: the API will say what is wrong with the token.
    return { ...fromVend(await vend(context, request)), fromCache: false };
  }
  const file = cacheFile(context, request, identity.sub);
  const cached = () => {
    const parsed = Cached.safeParse(readJsonFile(file));
    return parsed.success && isFresh(parsed.data.expiration, now()) ? parsed.data : undefined;
  };
  const hit = cached();
  if (hit) return { ...hit, fromCache: true };
  return withLock(file, async () => {
    // Another process may have vended while this one waited.
    const again = cached();
    if (again) return { ...again, fromCache: true };
    const fresh = fromVend(await vend(context, request));
    writePrivateFile(file, `${JSON.stringify(fresh, null, 2)}\n`);
    return { ...fresh, fromCache: false };
  });
}

/** Break glass: never cached, every use is its own reviewed session. */
export async function breakGlass(
  context: Context,
  entitlementId: string,
  justification: string | undefined,
  durationSeconds: number | undefined,
): Promise<Vended> {
  return context.api.vend(
    {
      entitlementId,
      breakGlass: { justification },
      ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    },
    {
      entitlementId: '<entitlement>',
      breakGlass: '--reason',
      'breakGlass.justification': '--reason',
      durationSeconds: '--duration',
    },
  );
}

/** Deletes the profile's cached credentials (logout). */
export function clearCache(settings: Pick<Settings, 'dir' | 'profile'>): number {
  let removed = 0;
  try {
    for (const name of readdirSync(cacheDir(settings)))
      if (name.endsWith('.json')) {
        removeFile(join(cacheDir(settings), name));
        removed++;
      }
  } catch {}
  return removed;
}

/** The AWS CLI's `credential_process` output (version 1). */
export const credentialProcessJson = (credentials: AwsCredentials) => ({
  Version: 1,
  AccessKeyId: credentials.accessKeyId,
  SecretAccessKey: credentials.secretAccessKey,
  SessionToken: credentials.sessionToken,
  Expiration: credentials.expiration,
});

export const awsEnvironment = (
  credentials: Pick<AwsCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration'>,
) => ({
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_SESSION_TOKEN: credentials.sessionToken,
  AWS_CREDENTIAL_EXPIRATION: credentials.expiration,
});

/** POSIX shell single-quoting. */
export const shellQuote = (value: string) =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

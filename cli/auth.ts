/**
 * The bearer token a command sends: `HALLPASS_TOKEN` when set (CI, scripts), else the profile's
 * stored tokens, refreshed with the refresh token when the access token is (nearly) expired or the
 * API refuses it. Refreshes are serialised by a lock, so that concurrent `credential_process` calls
 * do not spend the same rotating refresh token twice.
 */
import type { Settings } from './config.ts';
import { CliError } from './errors.ts';
import { withLock } from './files.ts';
import { loadTokens, readClaims, refreshTokens, type StoredTokens, saveTokens, tokensFile } from './oidc.ts';

/** Refresh this long before the access token's expiry. */
const REFRESH_MARGIN_SECONDS = 60;

export interface Identity {
  sub: string;
  name: string | undefined;
  groups: string[];
  expiresAt: number | undefined;
  source: 'HALLPASS_TOKEN' | 'login';
}

export class TokenSource {
  private current: string | undefined;

  constructor(
    private readonly settings: Settings,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly now: () => number = Date.now,
  ) {}

  private get override(): string | undefined {
    const token = this.env.HALLPASS_TOKEN?.trim();
    return token ? token : undefined;
  }

  private notSignedIn(): CliError {
    return new CliError(
      `not signed in (profile '${this.settings.profile}')`,
      'run `hallpass login`, or set HALLPASS_TOKEN to an access token',
    );
  }

  /** Who the token says the caller is, without any network call (unverified: the API verifies). */
  identity(): Identity | undefined {
    const override = this.override;
    const token = override ?? loadTokens(this.settings)?.accessToken;
    if (!token) return undefined;
    const claims = readClaims(token) ?? {};
    const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
    if (!sub) return undefined;
    const name = [claims.email, claims.preferred_username, claims.name].find((v) => typeof v === 'string');
    return {
      sub,
      name: name as string | undefined,
      groups: Array.isArray(claims.groups) ? claims.groups.filter((g) => typeof g === 'string') : [],
      expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
      source: override ? 'HALLPASS_TOKEN' : 'login',
    };
  }

  /** A token to send: refreshed first when the stored one is within a minute of expiry. */
  async get(): Promise<string> {
    const override = this.override;
    if (override) return override;
    if (this.current) return this.current;
    const stored = loadTokens(this.settings);
    if (!stored) throw this.notSignedIn();
    if (stored.expiresAt - REFRESH_MARGIN_SECONDS > this.now() / 1000) {
      this.current = stored.accessToken;
      return stored.accessToken;
    }
    return this.refresh(stored.accessToken);
  }

  /**
   * After a 401: a fresh token to retry with, or undefined when there is nothing better to try
   * (HALLPASS_TOKEN, or a stored token that was just refreshed).
   */
  async afterRejection(rejected: string): Promise<string | undefined> {
    if (this.override) return undefined;
    const stored = loadTokens(this.settings);
    if (!stored?.refreshToken) return undefined;
    const fresh = await this.refresh(rejected);
    return fresh === rejected ? undefined : fresh;
  }

  private async refresh(stale: string): Promise<string> {
    const token = await withLock(tokensFile(this.settings), async () => {
      // Another process may have refreshed while this one waited for the lock.
      const stored: StoredTokens | undefined = loadTokens(this.settings);
      if (!stored) throw this.notSignedIn();
      if (stored.accessToken !== stale && stored.expiresAt - REFRESH_MARGIN_SECONDS > this.now() / 1000)
        return stored.accessToken;
      const fresh = await refreshTokens(stored);
      saveTokens(this.settings, fresh);
      return fresh.accessToken;
    });
    this.current = token;
    return token;
  }
}

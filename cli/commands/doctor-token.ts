/**
 * `doctor`'s checks of the token and of what the API makes of it. The API is the judge: GET
 * /v1/entitlements applies the catalog to the token exactly as every route does (the issuer its
 * `iss` names, that issuer's audience and claims, a further issuer's principal and groups prefixed
 * with its name, requesterGroups and requesterPrincipals) and names the caller as it saw them; these
 * checks read that answer and say what to fix. A workload's token (a CI job's, of a further issuer)
 * is never judged by the profile's issuer, audience or groups, which are the people's.
 */
import { PRIMARY_ISSUER, WORKLOAD_PRINCIPAL } from '../../lib/core/principal.ts';
import type { Caller, Entitlement } from '../api.ts';
import { normaliseIssuer, type Settings } from '../config.ts';
import { apiContext, type Io, profileHint } from '../context.ts';
import { ApiError, CliError } from '../errors.ts';
import { loadTokens, readClaims } from '../oidc.ts';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}

const audiences = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];

const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

/** The token doctor goes on with: where it came from and its claims. */
export interface Token {
  claims: Record<string, unknown>;
  source: string;
  fromEnv: boolean;
  /** Whether hallpass may refresh it (a stored login with a refresh token). */
  refreshable: boolean;
}

/** The token (HALLPASS_TOKEN, else the stored login's), or undefined with a failed check. */
export function findToken(settings: Settings, io: Io, checks: Check[]): Token | undefined {
  const fromEnv = Boolean(io.env.HALLPASS_TOKEN?.trim());
  const stored = loadTokens(settings);
  const token = fromEnv ? io.env.HALLPASS_TOKEN?.trim() : stored?.accessToken;
  const source = fromEnv ? 'HALLPASS_TOKEN' : 'the token hallpass login stored';
  if (!token) {
    checks.push({
      name: 'token',
      status: 'fail',
      detail: `not signed in (profile '${settings.profile}')`,
      fix: `hallpass login${profileHint(settings)}, or set HALLPASS_TOKEN`,
    });
    return undefined;
  }
  const claims = readClaims(token);
  if (!claims) {
    checks.push({
      name: 'token',
      status: 'fail',
      detail: `${source} is not a JWT: hallpass accepts JWT access tokens only`,
      fix: 'configure the issuer to issue JWT access tokens for the API (a custom authorization server, an API audience)',
    });
    return undefined;
  }
  return { claims, source, fromEnv, refreshable: !fromEnv && Boolean(stored?.refreshToken) };
}

/** What GET /entitlements answered: the server's own evaluation of the catalog for this token. */
export type Answer =
  | { ok: true; items: Entitlement[]; caller: Caller | undefined }
  | { ok: false; error: unknown; settings: Settings };

export async function askApi(profileFlag: string | undefined, io: Io): Promise<Answer> {
  const { api, settings } = apiContext(profileFlag, io);
  try {
    const { items, caller } = await api.entitlements();
    return { ok: true, items, caller };
  } catch (error) {
    return { ok: false, error, settings };
  }
}

/**
 * Whether the token is of an issuer other than the profile's (people's): a workload's, such as a CI
 * job's. The API says so when it accepted the token (its caller's issuer); else the token's `iss`
 * against the profile's issuer, when the profile has one.
 */
function furtherIssuer(settings: Settings, claims: Record<string, unknown>, answer?: Answer): boolean {
  const issuer = answer?.ok ? answer.caller?.issuer : undefined;
  if (issuer) return issuer !== PRIMARY_ISSUER;
  return notProfiles(settings, claims);
}

/** Whether the token's `iss` is another than the profile's issuer (when the profile has one). */
const notProfiles = (settings: Settings, claims: Record<string, unknown>): boolean =>
  Boolean(
    settings.issuer && typeof claims.iss === 'string' && normaliseIssuer(claims.iss) !== settings.issuer,
  );

/** The token's own checks: present and unexpired, its issuer, its audience and its groups. */
export function checkToken(
  settings: Settings,
  io: Io,
  token: Token,
  answer: Answer | undefined,
  checks: Check[],
): void {
  const { claims, source, fromEnv } = token;
  const further = furtherIssuer(settings, claims, answer);
  const caller = answer?.ok ? answer.caller : undefined;
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  const left = exp === undefined ? undefined : Math.round(exp - io.now() / 1000);
  if (left !== undefined && left <= 0 && !token.refreshable)
    checks.push({
      name: 'token',
      status: 'fail',
      detail: `${source} expired ${-left} s ago`,
      fix: fromEnv ? 'set HALLPASS_TOKEN to a fresh token' : `hallpass login${profileHint(settings)}`,
    });
  else if (further && caller)
    checks.push({
      name: 'token',
      status: 'ok',
      detail: `${source}, from '${String(claims.iss)}', the API's issuer '${caller.issuer}': a workload's token, for '${caller.sub}'`,
    });
  else if (further || notProfiles(settings, claims))
    checks.push({
      name: 'token',
      status: 'warn',
      detail: `${source} was issued by '${String(claims.iss)}', not by the profile's issuer '${settings.issuer}'`,
      fix: caller
        ? `the API takes it as its primary issuer's: hallpass configure --issuer ${String(claims.iss)}${profileHint(settings)}`
        : `hallpass login${profileHint(settings)} again, or configure the issuer the API trusts; a workload's (CI) token needs its issuer in the API's HALLPASS_ISSUERS`,
    });
  else
    checks.push({
      name: 'token',
      status: 'ok',
      detail: `${source}, for '${String(claims.sub ?? '?')}'${left === undefined ? '' : left > 0 ? `, valid ${left} s more` : ', expired: refreshed on the next call'}`,
    });

  const aud = audiences(claims.aud);
  const audList = aud.length ? list(aud) : 'missing';
  if (further)
    // The profile's audience is its issuer's (people's): a further issuer has its own, in the API's
    // HALLPASS_ISSUERS, which the profile does not know.
    checks.push(
      answer?.ok
        ? {
            name: 'audience',
            status: 'ok',
            detail: `the API accepts the token's aud (${audList}) for its issuer`,
          }
        : {
            name: 'audience',
            status: 'skip',
            detail: `the token's aud is ${audList}; its issuer's audience is in the API's HALLPASS_ISSUERS, not in the profile`,
            fix: `the API's HALLPASS_ISSUERS entry for '${String(claims.iss)}' must have one of the token's aud as its audience`,
          },
    );
  else if (!settings.audience)
    checks.push({
      name: 'audience',
      status: 'skip',
      detail: `the token's aud is ${audList}; the profile does not say what the API expects`,
      fix: `hallpass configure --audience <the API's HALLPASS_AUDIENCE>${profileHint(settings)}`,
    });
  else if (!aud.includes(settings.audience))
    checks.push({
      name: 'audience',
      status: 'fail',
      detail: `the token's aud is ${audList}, but the API expects '${settings.audience}': it refuses this token`,
      fix: `have the issuer put '${settings.audience}' in the access token's aud (Okta: the authorization server's audience; Entra ID: the exposed API's Application ID URI; Auth0: the API identifier), or correct the profile: hallpass configure --audience <aud>${profileHint(settings)}`,
    });
  else
    checks.push({
      name: 'audience',
      status: 'ok',
      detail: `the token's aud includes '${settings.audience}'`,
    });

  checks.push(groupsCheck(claims, caller, further));
}

/**
 * The groups the entitlements are granted by: as the API read them when it answered (the groups
 * claim it is configured with; a further issuer's prefixed with its name), else the token's `groups`.
 * A workload's token usually has none: it is granted by its principal.
 */
function groupsCheck(claims: Record<string, unknown>, caller: Caller | undefined, further: boolean): Check {
  const groups = caller
    ? caller.groups
    : Array.isArray(claims.groups)
      ? claims.groups.filter((g): g is string => typeof g === 'string')
      : undefined;
  if (further && !groups?.length)
    return {
      name: 'groups',
      status: 'ok',
      detail: `none: a workload's token is granted by its principal${caller ? `, '${caller.sub}'` : ''} (requesterPrincipals)`,
    };
  if (!groups?.length && (caller || !Array.isArray(claims.groups)))
    return {
      name: 'groups',
      status: 'warn',
      detail: caller
        ? 'the API finds no groups in the token: entitlements are granted to groups'
        : "the token has no 'groups' claim: entitlements are granted to groups",
      fix: "have the issuer add the user's groups to the access token (or set HALLPASS_GROUPS_CLAIM on the API to the claim it uses)",
    };
  return {
    name: 'groups',
    status: 'ok',
    detail: `groups${caller ? ' (as the API reads them)' : ''}: ${groups?.length ? groups.join(', ') : '(none)'}`,
  };
}

/** What the API made of the token: accepted or not, and the entitlements it grants, with what to fix. */
export function checkEntitlements(answer: Answer, checks: Check[]): void {
  if (!answer.ok) {
    const { error, settings } = answer;
    const refused = error instanceof ApiError && error.status === 401;
    checks.push({
      name: 'api token',
      status: 'fail',
      detail: refused
        ? `the API refuses the token: ${error.message}`
        : error instanceof CliError
          ? error.message
          : String(error),
      fix: refused
        ? `the API checks the issuer, audience, signature and expiry (its access.denied log line says which failed); hallpass login${profileHint(settings)} again`
        : ((error as CliError).hint ?? ''),
    });
    return;
  }
  const { items, caller } = answer;
  checks.push({ name: 'api token', status: 'ok', detail: 'the API accepts the token (GET /entitlements)' });
  const usable = items.filter((e) => e.canRequest || e.breakGlass.allowed).map((e) => e.id);
  if (usable.length) {
    checks.push({ name: 'entitlements', status: 'ok', detail: `you may use ${usable.join(', ')}` });
    return;
  }
  const approveOnly = items.length ? ` (you may only approve: ${items.map((e) => e.id).join(', ')})` : '';
  checks.push({ name: 'entitlements', status: 'fail', ...noEntitlement(caller, approveOnly) });
}

/** Why nothing is granted, and what to change: the catalog's rules as the API applied them. */
function noEntitlement(caller: Caller | undefined, approveOnly: string): Pick<Check, 'detail' | 'fix'> {
  if (!caller)
    return {
      detail: `your groups grant no entitlement${approveOnly}`,
      fix: "ask for membership of a group in an entitlement's requesterGroups, or check that the token carries your groups",
    };
  const groups = caller.groups.length ? `groups ${caller.groups.join(', ')}` : 'no groups';
  if (caller.issuer && caller.issuer !== PRIMARY_ISSUER) {
    const listable = WORKLOAD_PRINCIPAL.test(caller.sub);
    return {
      detail: `the API knows this token as '${caller.sub}' (issuer '${caller.issuer}', ${groups}) and grants it no entitlement${approveOnly}`,
      fix: listable
        ? `grant it in the catalog: requesterPrincipals: ['${caller.sub}'] on the entitlement (matched exactly: a principal the catalog lists for another branch, environment or event does not match this one)`
        : `the catalog cannot list '${caller.sub}' in requesterPrincipals (printable, no spaces, no * or ?, at most 256 after the issuer name): grant one of its groups instead`,
    };
  }
  return {
    detail: `the API knows you as '${caller.sub}' with ${groups}, which grant no entitlement${approveOnly}`,
    fix: "ask for membership of a group in an entitlement's requesterGroups, or check that the token carries your groups",
  };
}

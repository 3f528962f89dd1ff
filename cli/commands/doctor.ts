/**
 * `doctor`: checks, in order, what a working `hallpass` needs, and says what to fix: the profile, the
 * API (GET /v1/health), the clock (the API's Date header), the issuer (its discovery document), the
 * token (present, unexpired, from that issuer), its audience (against the profile's, the API's
 * HALLPASS_AUDIENCE: the API's 401 says only that a token was refused, never why), whether the API
 * accepts it, its groups claim, and whether it grants any entitlement. Exit 1 when a check fails.
 */
import { noPositionals, parseCommand } from '../args.ts';
import { loadSettings, normaliseIssuer, type Settings } from '../config.ts';
import { apiContext, type Command, type Io, profileHint, usage } from '../context.ts';
import { ApiError, CliError } from '../errors.ts';
import { discover, loadTokens, readClaims, reason } from '../oidc.ts';
import { json, paint, type Style } from '../output.ts';

const DOCTOR_USAGE = `usage: hallpass doctor [--profile <name>] [--json]
Checks the profile's API URL (GET /health), the clock against the API's, the issuer's discovery
document, the token (present, unexpired, its issuer and audience), that the API accepts it, its
groups claim, and that it grants an entitlement. Prints one line per check with what to fix; exits 1
when a check fails. The audience is checked against the profile's (\`hallpass configure --audience\`).`;

type Status = 'ok' | 'warn' | 'fail' | 'skip';

interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}

/** Beyond this much, the API's own checks (60 s tolerance) and AWS's request signing (5 min) fail. */
const SKEW_WARN_SECONDS = 30;
const SKEW_FAIL_SECONDS = 60;

const audiences = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];

const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

async function checkApi(settings: Settings, io: Io, checks: Check[]): Promise<boolean> {
  const url = `${settings.url}/health`;
  const started = io.now();
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    checks.push({
      name: 'api',
      status: 'fail',
      detail: `cannot reach ${url}: ${reason(error)}`,
      fix: `check the URL (hallpass configure --url <api url>${profileHint(settings)}, or HALLPASS_URL); locally, is npm start running?`,
    });
    return false;
  }
  const elapsed = io.now() - started;
  const body = await response.text();
  if (!response.ok) {
    checks.push({
      name: 'api',
      status: 'fail',
      detail: `GET ${url} answered HTTP ${response.status}`,
      fix: 'the URL must be the API base URL ending in /v1 (npm start prints it after api=; a deployment in its outputs)',
    });
    return false;
  }
  checks.push({
    name: 'api',
    status: 'ok',
    detail: `${settings.url} is up (GET /health: ${body.trim()}, ${elapsed} ms)`,
  });
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(date)) {
    checks.push({ name: 'clock', status: 'skip', detail: 'the API sent no Date header to compare with' });
    return true;
  }
  // The Date header has whole seconds: compare with the middle of the call, allowing for that.
  const skew = Math.round((io.now() - elapsed / 2 - date) / 1000);
  const size = Math.abs(skew);
  const detail = `this machine's clock is ${size < 2 ? 'in step with' : `${size} s ${skew > 0 ? 'ahead of' : 'behind'}`} the API's`;
  const fix =
    'set the clock right (enable NTP: timedatectl set-ntp true; macOS: System Settings > Date & Time)';
  if (size > SKEW_FAIL_SECONDS) checks.push({ name: 'clock', status: 'fail', detail, fix });
  else if (size > SKEW_WARN_SECONDS) checks.push({ name: 'clock', status: 'warn', detail, fix });
  else checks.push({ name: 'clock', status: 'ok', detail });
  return true;
}

async function checkIssuer(settings: Settings, checks: Check[]): Promise<void> {
  if (!settings.issuer) {
    checks.push({
      name: 'issuer',
      status: 'warn',
      detail: 'no issuer configured: hallpass login cannot sign in',
      fix: `hallpass configure --issuer <issuer url>${profileHint(settings)}`,
    });
    return;
  }
  try {
    const discovery = await discover(settings.issuer);
    if (normaliseIssuer(discovery.issuer) !== settings.issuer) {
      checks.push({
        name: 'issuer',
        status: 'fail',
        detail: `${settings.issuer}'s discovery document names another issuer, '${discovery.issuer}'`,
        fix: `configure the issuer exactly as it names itself: hallpass configure --issuer ${discovery.issuer}${profileHint(settings)}`,
      });
      return;
    }
    checks.push(
      discovery.device_authorization_endpoint
        ? { name: 'issuer', status: 'ok', detail: `${settings.issuer} publishes its discovery document` }
        : discovery.authorization_endpoint
          ? {
              name: 'issuer',
              status: 'ok',
              detail: `${settings.issuer} offers no device flow: hallpass login signs in through this machine's browser`,
            }
          : {
              name: 'issuer',
              status: 'warn',
              detail: `${settings.issuer} offers neither the device flow nor an authorization endpoint: hallpass login cannot use it`,
              fix: "enable the device authorization grant for the CLI's client at the issuer, or sign in elsewhere and set HALLPASS_TOKEN",
            },
    );
  } catch (error) {
    checks.push({
      name: 'issuer',
      status: 'fail',
      detail: (error as Error).message,
      fix: `check the issuer URL (hallpass configure --issuer <url>${profileHint(settings)}): <url>/.well-known/openid-configuration must answer`,
    });
  }
}

/** The token's own checks; its claims, or undefined when there is no token to go on with. */
function checkToken(settings: Settings, io: Io, checks: Check[]): Record<string, unknown> | undefined {
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
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  const left = exp === undefined ? undefined : Math.round(exp - io.now() / 1000);
  if (left !== undefined && left <= 0 && (fromEnv || !stored?.refreshToken))
    checks.push({
      name: 'token',
      status: 'fail',
      detail: `${source} expired ${-left} s ago`,
      fix: fromEnv ? 'set HALLPASS_TOKEN to a fresh token' : `hallpass login${profileHint(settings)}`,
    });
  else if (
    typeof claims.iss === 'string' &&
    settings.issuer &&
    claims.iss.replace(/\/+$/, '') !== settings.issuer
  )
    checks.push({
      name: 'token',
      status: 'warn',
      detail: `${source} was issued by '${claims.iss}', not by the profile's issuer '${settings.issuer}'`,
      fix: `hallpass login${profileHint(settings)} again, or configure the issuer the API trusts`,
    });
  else
    checks.push({
      name: 'token',
      status: 'ok',
      detail: `${source}, for '${String(claims.sub ?? '?')}'${left === undefined ? '' : left > 0 ? `, valid ${left} s more` : ', expired: refreshed on the next call'}`,
    });

  const aud = audiences(claims.aud);
  if (!settings.audience)
    checks.push({
      name: 'audience',
      status: 'skip',
      detail: `the token's aud is ${aud.length ? list(aud) : 'missing'}; the profile does not say what the API expects`,
      fix: `hallpass configure --audience <the API's HALLPASS_AUDIENCE>${profileHint(settings)}`,
    });
  else if (!aud.includes(settings.audience))
    checks.push({
      name: 'audience',
      status: 'fail',
      detail: `the token's aud is ${aud.length ? list(aud) : 'missing'}, but the API expects '${settings.audience}': it refuses this token`,
      fix: `have the issuer put '${settings.audience}' in the access token's aud (Okta: the authorization server's audience; Entra ID: the exposed API's Application ID URI; Auth0: the API identifier), or correct the profile: hallpass configure --audience <aud>${profileHint(settings)}`,
    });
  else
    checks.push({
      name: 'audience',
      status: 'ok',
      detail: `the token's aud includes '${settings.audience}'`,
    });

  if (!Array.isArray(claims.groups))
    checks.push({
      name: 'groups',
      status: 'warn',
      detail: "the token has no 'groups' claim: entitlements are granted to groups",
      fix: "have the issuer add the user's groups to the access token (or set HALLPASS_GROUPS_CLAIM on the API to the claim it uses)",
    });
  else
    checks.push({
      name: 'groups',
      status: 'ok',
      detail: `groups: ${claims.groups.length ? claims.groups.join(', ') : '(none)'}`,
    });
  return claims;
}

async function checkEntitlements(profileFlag: string | undefined, io: Io, checks: Check[]): Promise<void> {
  const { api, settings } = apiContext(profileFlag, io);
  try {
    const { items } = await api.entitlements();
    checks.push({ name: 'api token', status: 'ok', detail: 'the API accepts the token (GET /entitlements)' });
    const usable = items.filter((e) => e.canRequest || e.breakGlass.allowed).map((e) => e.id);
    checks.push(
      usable.length
        ? { name: 'entitlements', status: 'ok', detail: `you may use ${usable.join(', ')}` }
        : {
            name: 'entitlements',
            status: 'fail',
            detail: `your groups grant no entitlement${items.length ? ` (you may only approve: ${items.map((e) => e.id).join(', ')})` : ''}`,
            fix: "ask for membership of a group in an entitlement's requesterGroups, or check that the token carries your groups",
          },
    );
  } catch (error) {
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
  }
}

const STYLE: Record<Status, Style> = { ok: 'green', warn: 'yellow', fail: 'red', skip: 'dim' };

export const doctor: Command = {
  name: 'doctor',
  summary: 'check the API URL, issuer, token, audience, clock and entitlements',
  usage: DOCTOR_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, {}, DOCTOR_USAGE);
    if (values.help) return usage(io, DOCTOR_USAGE);
    noPositionals(positionals, DOCTOR_USAGE);
    const settings = loadSettings(values.profile, io.env);
    const checks: Check[] = [];
    let apiUp = false;
    if (!settings.url)
      checks.push({
        name: 'api',
        status: 'fail',
        detail: `no API URL for profile '${settings.profile}'`,
        fix: `hallpass configure --url <api url>${profileHint(settings)} (locally: hallpass configure --local), or set HALLPASS_URL`,
      });
    else apiUp = await checkApi(settings, io, checks);
    await checkIssuer(settings, checks);
    const claims = checkToken(settings, io, checks);
    if (apiUp && claims) await checkEntitlements(values.profile, io, checks);

    const failed = checks.some((c) => c.status === 'fail');
    const o = io.output;
    if (values.json) {
      o.out(json({ profile: settings.profile, ok: !failed, checks }));
      return failed ? 1 : 0;
    }
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      o.out(
        `${paint(o, STYLE[c.status], c.status.toUpperCase().padEnd(4))}  ${c.name.padEnd(width)}  ${c.detail}`,
      );
      if (c.fix && c.status !== 'ok') o.out(`${' '.repeat(width + 8)}fix: ${c.fix}`);
    }
    o.err(failed ? 'hallpass doctor: a check failed (see fix: above).' : 'hallpass doctor: all good.');
    return failed ? 1 : 0;
  },
};

/**
 * `doctor`: checks, in order, what a working `hallpass` needs, and says what to fix: the profile, the
 * API (GET /v1/health), the clock (the API's Date header), the issuer (its discovery document), then
 * the token and what the API makes of it (./doctor-token.ts): present, unexpired, its issuer, its
 * audience, its groups, whether the API accepts it and whether it grants any entitlement. Exit 1
 * when a check fails.
 */
import { noPositionals, parseCommand } from '../args.ts';
import { loadSettings, normaliseIssuer, type Settings } from '../config.ts';
import { type Command, type Io, profileHint, usage } from '../context.ts';
import { discover, reason } from '../oidc.ts';
import { json, paint, type Style } from '../output.ts';
import { askApi, type Check, checkEntitlements, checkToken, findToken, type Status } from './doctor-token.ts';

const DOCTOR_USAGE = `usage: hallpass doctor [--profile <name>] [--json]
Checks the profile's API URL (GET /health), the clock against the API's, the issuer's discovery
document, the token (present, unexpired, its issuer and audience), that the API accepts it, its
groups claim, and that it grants an entitlement. Prints one line per check with what to fix; exits 1
when a check fails. The audience is checked against the profile's (\`hallpass configure --audience\`).
A workload's token (HALLPASS_TOKEN from another issuer the API trusts, e.g. a CI job's) is judged as
the API judges it: by that issuer, and by its principal (\`<issuer name>:<sub>\`), which doctor names
when the catalog grants it nothing.`;

/** Beyond this much, the API's own checks (60 s tolerance) and AWS's request signing (5 min) fail. */
const SKEW_WARN_SECONDS = 30;
const SKEW_FAIL_SECONDS = 60;

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
    const token = findToken(settings, io, checks);
    // The API first: its answer (the catalog as the server applies it to this token) says which
    // issuer it took the token for, which the token's own checks depend on.
    const answer = apiUp && token ? await askApi(values.profile, io) : undefined;
    if (token) checkToken(settings, io, token, answer, checks);
    if (answer) checkEntitlements(answer, checks);

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

/** `configure`, `login`, `logout`, `whoami`: where the API is, and who the caller is. */
import { createInterface } from 'node:readline/promises';
import { type StackInfo, stackFile } from '../../lib/local-stack-file.ts';
import { noPositionals, parseCommand } from '../args.ts';
import { TokenSource } from '../auth.ts';
import { systemOpener } from '../browser.ts';
import {
  loadSettings,
  normaliseApiUrl,
  normaliseIssuer,
  type Profile,
  readConfig,
  type Settings,
  writeProfile,
} from '../config.ts';
import { type Command, type Io, profileHint, usage } from '../context.ts';
import { clearCache } from '../credentials.ts';
import { CliError } from '../errors.ts';
import { readJsonFile } from '../files.ts';
import { signInWithBrowser } from '../loopback.ts';
import {
  type Discovery,
  deleteTokens,
  discover,
  loadTokens,
  pollDeviceToken,
  readClaims,
  revokeRefreshToken,
  saveTokens,
  startDeviceAuthorization,
  type TokenResponse,
  toStored,
} from '../oidc.ts';
import { details, formatDuration, json, paint, relative } from '../output.ts';

/** The local stack's addresses, as `npm start` wrote them. */
function localStack(env: NodeJS.ProcessEnv): StackInfo {
  const file = stackFile(env.HALLPASS_STATE_DIR);
  const stack = readJsonFile(file) as StackInfo | undefined;
  if (!stack?.api || !stack.issuer)
    throw new CliError(
      `no local stack found (${file})`,
      'start it with `npm start`, in the repository, then try again',
    );
  return stack;
}

const CONFIGURE_USAGE = `usage: hallpass configure [--url <api url>] [--issuer <issuer url>] [--client-id <id>] [--scope "<scopes>"]
                          [--audience <aud>] [--resource <uri>] [--local] [--show] [--profile <name>] [--json]
  --url        the API's base URL, as \`npm start\` prints it after api= (e.g. http://127.0.0.1:3000/v1)
  --issuer     the OIDC issuer \`hallpass login\` signs in with
  --client-id  the OIDC client of the CLI at that issuer (default hallpass-cli)
  --scope      the scopes to ask for (default "openid offline_access")
  --audience   the API's audience (its HALLPASS_AUDIENCE): \`hallpass login\` asks for it (the audience
               parameter, which Auth0 needs), \`hallpass doctor\` checks the token's aud against it
  --resource   an RFC 8707 resource indicator \`hallpass login\` sends, for issuers that take one
  --local      take the URL, issuer and audience from the running local stack (.hallpass/stack.json)
  --show       print the profile without changing it
With no option on a terminal, asks for each value.`;

export const configure: Command = {
  name: 'configure',
  summary: 'set the API URL and issuer of a profile',
  usage: CONFIGURE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      {
        url: { type: 'string' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        scope: { type: 'string' },
        audience: { type: 'string' },
        resource: { type: 'string' },
        local: { type: 'boolean', default: false },
        show: { type: 'boolean', default: false },
      },
      CONFIGURE_USAGE,
    );
    if (values.help) return usage(io, CONFIGURE_USAGE);
    noPositionals(positionals, CONFIGURE_USAGE);
    const settings = loadSettings(values.profile, io.env);
    const current: Profile = readConfig(io.env).profiles[settings.profile] ?? {};
    const changes: Profile = {};
    if (values.local) {
      const stack = localStack(io.env);
      changes.url = stack.api;
      changes.issuer = stack.issuer;
      if (stack.audience) changes.audience = stack.audience;
    }
    if (values.url !== undefined) changes.url = normaliseApiUrl(values.url);
    if (values.issuer !== undefined) changes.issuer = normaliseIssuer(values.issuer);
    if (values['client-id'] !== undefined) changes.clientId = values['client-id'];
    if (values.scope !== undefined) changes.scope = values.scope;
    if (values.audience !== undefined) changes.audience = values.audience;
    if (values.resource !== undefined) changes.resource = values.resource;

    const nothingGiven = Object.keys(changes).length === 0;
    if (nothingGiven && !values.show && io.stdin.isTTY && !values.json) {
      const prompt = createInterface({ input: io.stdin, output: process.stderr });
      try {
        const ask = async (label: string, value: string | undefined) =>
          (await prompt.question(`${label}${value ? ` [${value}]` : ''}: `)).trim() || value;
        const url = await ask('hallpass API URL', current.url);
        const issuer = await ask('OIDC issuer URL', current.issuer);
        if (url) changes.url = normaliseApiUrl(url);
        if (issuer) changes.issuer = normaliseIssuer(issuer);
      } finally {
        prompt.close();
      }
    }
    const profile: Profile = { ...current, ...changes };
    const saved =
      Object.keys(changes).length > 0 ? writeProfile(settings.profile, profile, io.env) : undefined;
    if (values.json) {
      io.output.out(json({ profile: settings.profile, file: saved ?? null, ...profile }));
      return 0;
    }
    const o = io.output;
    o.out(
      details(
        [
          ['profile', settings.profile],
          ['api url', profile.url ?? paint(o, 'yellow', '(not set)')],
          ['issuer', profile.issuer ?? paint(o, 'yellow', '(not set)')],
          ['client id', profile.clientId ?? 'hallpass-cli (default)'],
          ['scope', profile.scope ?? 'openid offline_access (default)'],
          ['audience', profile.audience ?? "(not set: hallpass doctor cannot check the token's aud)"],
          ...(profile.resource ? [['resource', profile.resource] as [string, string]] : []),
        ],
        o,
      ),
    );
    if (saved) o.err(`Saved in ${saved}. Next: hallpass login${profileHint(settings)}`);
    else if (nothingGiven && !values.show) o.err(`Nothing changed. ${CONFIGURE_USAGE.split('\n')[0]}`);
    return 0;
  },
};

const LOGIN_USAGE = `usage: hallpass login [--browser] [--profile <name>] [--json]
Signs in with the OIDC device authorization grant: open the page it prints, enter the code, sign in.
  --browser  sign in in this machine's browser instead (authorization code with PKCE, redirected to
             http://127.0.0.1:<random port>/callback); the default when the issuer has no device flow
The tokens are stored (0600) in the config dir and refreshed when they expire.`;

/** The device flow: prints where to go and the code, then waits for the sign-in. */
async function deviceSignIn(discovery: Discovery, settings: Settings, io: Io): Promise<TokenResponse> {
  const o = io.output;
  const device = await startDeviceAuthorization(discovery, settings.clientId, settings.scope, settings);
  o.err(
    [
      'To sign in, open this page in a browser:',
      '',
      `  ${paint(o, 'bold', device.verification_uri)}`,
      '',
      `and enter the code:  ${paint(o, 'bold', device.user_code)}`,
      ...(device.verification_uri_complete ? ['', `(or open ${device.verification_uri_complete})`] : []),
      '',
      `Waiting for you to sign in (the code expires in ${formatDuration(device.expires_in)})...`,
    ].join('\n'),
  );
  return pollDeviceToken(discovery, settings.clientId, device, { sleep: io.sleep, now: io.now }, settings);
}

/** The browser flow: opens the issuer's sign-in page (or prints it) and waits for it to come back. */
function browserSignIn(discovery: Discovery, settings: Settings, io: Io): Promise<TokenResponse> {
  const o = io.output;
  return signInWithBrowser(discovery, {
    clientId: settings.clientId,
    scope: settings.scope,
    target: settings,
    open: io.open ?? systemOpener(),
    onUrl: (url, opened) =>
      o.err(
        opened
          ? `Opened the sign-in page in your browser; waiting for you to sign in...\n(if it did not open: ${url})`
          : `Open this page in a browser on this machine to sign in:\n\n  ${url}\n\nWaiting for you to sign in...`,
      ),
  });
}

export const login: Command = {
  name: 'login',
  summary: 'sign in (OIDC device flow, or --browser) and store the tokens',
  usage: LOGIN_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { browser: { type: 'boolean', default: false } },
      LOGIN_USAGE,
    );
    if (values.help) return usage(io, LOGIN_USAGE);
    noPositionals(positionals, LOGIN_USAGE);
    const settings = loadSettings(values.profile, io.env);
    if (!settings.issuer)
      throw new CliError(
        `no issuer configured for profile '${settings.profile}'`,
        `run \`hallpass configure --issuer <url>${profileHint(settings)}\` (locally: \`hallpass configure --local\`)`,
      );
    const o = io.output;
    if (io.env.HALLPASS_TOKEN)
      o.err('note: HALLPASS_TOKEN is set; it takes precedence over the tokens stored here.');
    const discovery = await discover(settings.issuer);
    const response =
      values.browser || !discovery.device_authorization_endpoint
        ? await browserSignIn(discovery, settings, io)
        : await deviceSignIn(discovery, settings, io);
    const stored = toStored(
      {
        issuer: discovery.issuer,
        clientId: settings.clientId,
        tokenEndpoint: discovery.token_endpoint,
        ...(discovery.revocation_endpoint ? { revocationEndpoint: discovery.revocation_endpoint } : {}),
      },
      response,
      io.now(),
    );
    const file = saveTokens(settings, stored);
    clearCache(settings);
    const claims = readClaims(stored.accessToken);
    if (!claims)
      o.err('warning: the issuer returned an access token that is not a JWT; hallpass accepts JWTs only.');
    const groups = Array.isArray(claims?.groups) ? (claims.groups as string[]) : [];
    const sub = typeof claims?.sub === 'string' ? claims.sub : undefined;
    const name = typeof claims?.name === 'string' ? claims.name : undefined;
    if (values.json) {
      o.out(
        json({
          profile: settings.profile,
          sub: sub ?? null,
          name: name ?? null,
          groups,
          expiresAt: new Date(stored.expiresAt * 1000).toISOString(),
          refreshable: Boolean(stored.refreshToken),
          tokensFile: file,
        }),
      );
    } else {
      o.out(
        `Signed in as ${paint(o, 'bold', sub ?? '(unknown)')}${name ? ` (${name})` : ''}; groups: ${groups.length ? groups.join(', ') : '(none)'}.`,
      );
      o.err(`Tokens saved in ${file}${stored.refreshToken ? ' (refreshed automatically)' : ''}.`);
    }
    return 0;
  },
};

const LOGOUT_USAGE =
  'usage: hallpass logout [--profile <name>]\nForgets the stored tokens and cached credentials of the profile.';

export const logout: Command = {
  name: 'logout',
  summary: 'forget the stored tokens and cached credentials',
  usage: LOGOUT_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, {}, LOGOUT_USAGE);
    if (values.help) return usage(io, LOGOUT_USAGE);
    noPositionals(positionals, LOGOUT_USAGE);
    const settings = loadSettings(values.profile, io.env);
    const stored = loadTokens(settings);
    const revoked = stored ? await revokeRefreshToken(stored) : false;
    deleteTokens(settings);
    const cleared = clearCache(settings);
    if (values.json)
      io.output.out(json({ profile: settings.profile, signedOut: Boolean(stored), revoked, cleared }));
    else
      io.output.out(
        stored
          ? `Signed out of profile '${settings.profile}'${cleared ? `; ${cleared} cached credential(s) deleted` : ''}.`
          : `Profile '${settings.profile}' was not signed in.`,
      );
    return 0;
  },
};

const WHOAMI_USAGE = `usage: hallpass whoami [--profile <name>] [--json]
Shows the identity in the current token (read locally; the API verifies it on every call).`;

export const whoami: Command = {
  name: 'whoami',
  summary: 'show who the current token says you are',
  usage: WHOAMI_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, {}, WHOAMI_USAGE);
    if (values.help) return usage(io, WHOAMI_USAGE);
    noPositionals(positionals, WHOAMI_USAGE);
    const settings = loadSettings(values.profile, io.env);
    const identity = new TokenSource(settings, io.env, io.now).identity();
    if (!identity)
      throw new CliError(
        `not signed in (profile '${settings.profile}')`,
        'run `hallpass login`, or set HALLPASS_TOKEN',
      );
    const expiresAt = identity.expiresAt ? new Date(identity.expiresAt * 1000).toISOString() : null;
    if (values.json) {
      io.output.out(json({ profile: settings.profile, url: settings.url ?? null, ...identity, expiresAt }));
      return 0;
    }
    const o = io.output;
    o.out(
      details(
        [
          ['sub', identity.sub],
          ['name', identity.name ?? '-'],
          ['groups', identity.groups.join(', ') || '-'],
          [
            'token',
            `${identity.source === 'HALLPASS_TOKEN' ? 'HALLPASS_TOKEN' : 'stored by hallpass login'}${expiresAt ? `, expires ${relative(expiresAt, io.now())}` : ''}`,
          ],
          ['profile', settings.profile],
          ['api url', settings.url ?? '(not set)'],
        ],
        o,
      ),
    );
    return 0;
  },
};

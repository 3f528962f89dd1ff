import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, SETTING_NAMES } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import { thrown } from '../support/errors.ts';

const REQUIRED = {
  HALLPASS_ISSUER: 'https://login.example.com/',
  HALLPASS_AUDIENCE: 'hallpass',
  HALLPASS_AUDIT_TABLE: 'hallpass-audit',
  HALLPASS_REQUESTS_TABLE: 'hallpass-requests',
};

/** With web identity on, so that its settings show in the configuration too. */
const WEB_IDENTITY = {
  ...REQUIRED,
  HALLPASS_WEB_IDENTITY_ISSUER: 'https://hallpass.example.com',
  HALLPASS_SIGNING_KEY_ID: 'alias/hallpass',
};

/** The ConfigError parseConfig throws for `env` (fails the test if it throws none). */
const refusal = (env: Record<string, string | undefined>): ConfigError =>
  thrown(ConfigError, () => parseConfig(env));

/**
 * The README's configuration table: each variable of lib/config.ts with a literal default (the
 * default cell starts with one value in backticks), and that value.
 */
function documentedDefaults(): Array<[string, string]> {
  const rows = readFileSync('README.md', 'utf8').matchAll(/^\| `([A-Z_]+)` \| `([^`]*)`/gm);
  return [...rows]
    .map(([, name, value]) => [name, value] as [string, string])
    .filter(([name]) => SETTING_NAMES.includes(name));
}

describe('parseConfig', () => {
  // parseConfig builds only the set variables' schemas; an unset one takes the value its setting
  // declares. That value must be what the variable set to its documented default parses to.
  it.each(
    // The token lifetime's default (86400) is the authenticator's (lib/adapters/auth.ts, tested there):
    // unset, the configuration leaves it undefined.
    documentedDefaults().filter(([name]) => name !== 'HALLPASS_MAX_TOKEN_AGE_SECONDS'),
  )("configures an unset %s as the README's default, %s", (name, value) => {
    expect(parseConfig(WEB_IDENTITY)).toEqual(parseConfig({ ...WEB_IDENTITY, [name]: value }));
  });

  it.each([
    ['HALLPASS_SLACK_API_URL', 'https://slack.com/api/'],
    ['HALLPASS_SLACK_GROUPS_MAX_AGE_SECONDS', '86400'],
    // A list of no items: set (not empty), and parsed to none.
    ['HALLPASS_SLACK_TEAM_IDS', ','],
    ['HALLPASS_REVOKER_ROLE_NAME', 'hallpass-local-revoker'],
  ])('configures an unset %s as its documented default, %s (with Slack on)', (name, value) => {
    const slackOn = {
      ...REQUIRED,
      HALLPASS_SLACK_TABLE: 'hallpass-slack',
      HALLPASS_SLACK_SIGNING_SECRET_PARAMETER: '/hallpass/slack/signing-secret',
      HALLPASS_SLACK_BOT_TOKEN_PARAMETER: '/hallpass/slack/bot-token',
    };

    expect(parseConfig(slackOn)).toEqual(parseConfig({ ...slackOn, [name]: value }));
  });

  it('configures an unset HALLPASS_PUBLISHED_KEY_IDS as no further keys (with web identity on)', () => {
    expect(parseConfig(WEB_IDENTITY).webIdentity?.publishedKeyIds).toEqual([]);
    expect(parseConfig(WEB_IDENTITY)).toEqual(
      parseConfig({ ...WEB_IDENTITY, HALLPASS_PUBLISHED_KEY_IDS: ',' }),
    );
  });

  it('finds a documented default for the variables that have one', () => {
    expect(documentedDefaults().map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'HALLPASS_JWKS_STORE',
        'HALLPASS_ALGORITHMS',
        'HALLPASS_NAME_CLAIMS',
        'HALLPASS_MAX_SESSION_SECONDS',
        'HALLPASS_CONSOLE_HOSTS',
        'AUDIT_RETENTION_DAYS',
        'HALLPASS_BREAK_GLASS_MAX_PER_HOUR',
      ]),
    );
  });

  it('applies the defaults to a minimal environment', () => {
    const config = parseConfig(REQUIRED);

    expect(config).toEqual({
      issuer: 'https://login.example.com/',
      audience: 'hallpass',
      jwksUri: undefined,
      jwksStore: false,
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      claims: { principal: 'sub', name: ['email', 'preferred_username'], groups: 'groups' },
      issuers: [
        {
          name: 'primary',
          issuer: 'https://login.example.com/',
          audience: 'hallpass',
          jwksUri: undefined,
          algorithms: [
            'RS256',
            'RS384',
            'RS512',
            'PS256',
            'PS384',
            'PS512',
            'ES256',
            'ES384',
            'ES512',
            'EdDSA',
          ],
          claims: { principal: 'sub', name: ['email', 'preferred_username'], groups: 'groups' },
        },
      ],
      catalogPath: 'catalog/example.yaml',
      tables: { audit: 'hallpass-audit', requests: 'hallpass-requests' },
      maxSessionSeconds: 3600,
      webIdentity: undefined,
      console: {
        federationUrl: 'https://signin.aws.amazon.com/federation',
        hosts: ['console.aws.amazon.com'],
      },
      auditRetentionDays: 400,
      revokerRoleName: 'hallpass-local-revoker',
      breakGlassMaxPerHour: 10,
      notifications: {
        eventBus: undefined,
        webhookUrl: undefined,
        publicUrl: undefined,
        reviewReminderMinutes: 60,
      },
    });
  });

  it('reads the notification settings, dropping a trailing slash from the public URL', () => {
    const config = parseConfig({
      ...REQUIRED,
      HALLPASS_EVENT_BUS: 'hallpass-prod',
      HALLPASS_WEBHOOK_URL: 'https://hooks.example.com/services/T0/B0/X',
      HALLPASS_PUBLIC_URL: 'https://hallpass.example.com/v1/',
      HALLPASS_REVIEW_REMINDER_MINUTES: '30',
    });

    expect(config.notifications).toEqual({
      eventBus: 'hallpass-prod',
      webhookUrl: 'https://hooks.example.com/services/T0/B0/X',
      publicUrl: 'https://hallpass.example.com/v1',
      reviewReminderMinutes: 30,
    });
  });

  it('refuses a webhook URL that is not http(s), naming the variable', () => {
    expect(() => parseConfig({ ...REQUIRED, HALLPASS_WEBHOOK_URL: 'ftp://hooks.example.com' })).toThrow(
      /HALLPASS_WEBHOOK_URL/,
    );
  });

  it('treats empty strings as unset', () => {
    const config = parseConfig({
      ...REQUIRED,
      HALLPASS_JWKS_URI: '',
      HALLPASS_ALGORITHMS: '',
      HALLPASS_MAX_SESSION_SECONDS: '',
      HALLPASS_CATALOG: '',
    });

    expect(config).toEqual(parseConfig(REQUIRED));
  });

  it('reads comma-separated lists, trimming spaces', () => {
    const config = parseConfig({ ...REQUIRED, HALLPASS_ALGORITHMS: 'RS256, ES256 ,' });

    expect(config.algorithms).toEqual(['RS256', 'ES256']);
  });

  it('reads the claim names', () => {
    const config = parseConfig({
      ...REQUIRED,
      HALLPASS_PRINCIPAL_CLAIM: 'oid',
      HALLPASS_NAME_CLAIMS: 'upn',
      HALLPASS_GROUPS_CLAIM: 'roles',
    });

    expect(config.claims).toEqual({ principal: 'oid', name: ['upn'], groups: 'roles' });
  });

  it('reads the maximum assume-role session length as a number', () => {
    const config = parseConfig({ ...REQUIRED, HALLPASS_MAX_SESSION_SECONDS: '1800' });

    expect(config.maxSessionSeconds).toBe(1800);
  });

  it('refuses an assume-role maximum over the hour role chaining allows', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_MAX_SESSION_SECONDS: '43200' });

    expect(error.message).toContain('HALLPASS_MAX_SESSION_SECONDS');
  });

  it('reads the web-identity issuer settings, with the STS audience by default', () => {
    const config = parseConfig({
      ...REQUIRED,
      HALLPASS_WEB_IDENTITY_ISSUER: 'https://hallpass.example.com/',
      HALLPASS_SIGNING_KEY_ID: 'alias/hallpass-prod-signing',
      HALLPASS_PUBLISHED_KEY_IDS: 'alias/hallpass-prod-signing-next, ',
    });

    expect(config.webIdentity).toEqual({
      issuer: 'https://hallpass.example.com',
      audience: 'sts.amazonaws.com',
      signingKeyId: 'alias/hallpass-prod-signing',
      publishedKeyIds: ['alias/hallpass-prod-signing-next'],
    });
  });

  it('refuses a web-identity issuer without a signing key, naming the missing variable', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_WEB_IDENTITY_ISSUER: 'https://hallpass.example.com' });

    expect(error.message).toContain('HALLPASS_SIGNING_KEY_ID');
  });

  it('refuses a signing key without a web-identity issuer, naming the missing variable', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_SIGNING_KEY_ID: 'alias/k' });

    expect(error.message).toContain('HALLPASS_WEB_IDENTITY_ISSUER');
  });

  it('reads the console settings of another partition', () => {
    const config = parseConfig({
      ...REQUIRED,
      HALLPASS_FEDERATION_URL: 'https://signin.amazonaws-us-gov.com/federation',
      HALLPASS_CONSOLE_HOSTS: 'console.amazonaws-us-gov.com',
    });

    expect(config.console).toEqual({
      federationUrl: 'https://signin.amazonaws-us-gov.com/federation',
      hosts: ['console.amazonaws-us-gov.com'],
    });
  });

  it('refuses an issuer that is not a URL, naming HALLPASS_ISSUER', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_ISSUER: 'login.example.com' });

    expect(error.message).toContain('HALLPASS_ISSUER');
  });

  it('refuses an issuer URL that is not http(s), naming HALLPASS_ISSUER', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_ISSUER: 'ftp://login.example.com/' });

    expect(error.message).toContain('HALLPASS_ISSUER');
  });

  it('refuses a missing audience, naming HALLPASS_AUDIENCE', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_AUDIENCE: undefined });

    expect(error.message).toContain('HALLPASS_AUDIENCE');
  });

  it('refuses an empty audience, naming HALLPASS_AUDIENCE', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_AUDIENCE: '' });

    expect(error.message).toContain('HALLPASS_AUDIENCE');
  });

  it('refuses HS256 among the algorithms, naming HALLPASS_ALGORITHMS', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_ALGORITHMS: 'RS256,HS256' });

    expect(error.message).toContain('HALLPASS_ALGORITHMS');
  });

  it('refuses an algorithm list that is only commas', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_ALGORITHMS: ' , ' });

    expect(error.message).toContain('HALLPASS_ALGORITHMS');
  });

  it('refuses a maximum session length of 100 seconds, naming HALLPASS_MAX_SESSION_SECONDS', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_MAX_SESSION_SECONDS: '100' });

    expect(error.message).toContain('HALLPASS_MAX_SESSION_SECONDS');
  });

  it('refuses a maximum session length that is not a whole number', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_MAX_SESSION_SECONDS: '3600.5' });

    expect(error.message).toContain('HALLPASS_MAX_SESSION_SECONDS');
  });

  it('names every bad variable at once', () => {
    const error = refusal({ ...REQUIRED, HALLPASS_ISSUER: 'nope', HALLPASS_AUDIT_TABLE: undefined });

    expect([
      error.message.includes('HALLPASS_ISSUER'),
      error.message.includes('HALLPASS_AUDIT_TABLE'),
    ]).toEqual([true, true]);
  });
});

describe('HALLPASS_ISSUERS: further issuers', () => {
  const github = {
    name: 'github',
    issuer: 'https://token.actions.githubusercontent.com',
    audience: 'https://github.com/example-org',
  };
  const withIssuers = (issuers: unknown) => ({ ...REQUIRED, HALLPASS_ISSUERS: JSON.stringify(issuers) });

  it('lists the primary issuer first, then each further one with the defaults filled in', () => {
    const config = parseConfig(withIssuers([{ ...github, algorithms: ['RS256'] }]));

    expect(config.issuers.map((issuer) => issuer.name)).toEqual(['primary', 'github']);
    expect(config.issuers[1]).toEqual({
      ...github,
      jwksUri: undefined,
      algorithms: ['RS256'],
      claims: { principal: 'sub', name: ['email', 'preferred_username'], groups: 'groups' },
    });
  });

  it('reads a claim mapping and a JWKS URI', () => {
    const config = parseConfig(
      withIssuers([
        {
          ...github,
          jwksUri: 'https://token.actions.githubusercontent.com/.well-known/jwks',
          claims: { principal: 'sub', name: ['actor'], groups: 'teams' },
        },
      ]),
    );

    expect(config.issuers[1]?.claims).toEqual({ principal: 'sub', name: ['actor'], groups: 'teams' });
    expect(config.issuers[1]?.jwksUri).toBe('https://token.actions.githubusercontent.com/.well-known/jwks');
  });

  it.each([
    ['text that is not JSON', 'github', /HALLPASS_ISSUERS: must be a JSON array of issuers/],
    ['an object instead of an array', { ...github }, /HALLPASS_ISSUERS: .*expected array/],
    ['an issuer without an audience', [{ ...github, audience: undefined }], /HALLPASS_ISSUERS\.0\.audience/],
    ['an issuer URL that is not a URL', [{ ...github, issuer: 'github' }], /HALLPASS_ISSUERS\.0\.issuer/],
    ['a name in capitals', [{ ...github, name: 'GitHub' }], /HALLPASS_ISSUERS\.0\.name: must be 1-32/],
    ['a name with a colon', [{ ...github, name: 'git:hub' }], /HALLPASS_ISSUERS\.0\.name/],
    [
      'the name of the primary issuer',
      [{ ...github, name: 'primary' }],
      /HALLPASS_ISSUERS\.0\.name: 'primary' is taken/,
    ],
    [
      'two issuers of one name',
      [github, { ...github, issuer: 'https://other.example.com' }],
      /HALLPASS_ISSUERS\.1\.name/,
    ],
    [
      'the primary issuer again',
      [{ ...github, issuer: REQUIRED.HALLPASS_ISSUER }],
      /HALLPASS_ISSUERS\.0\.issuer: .* configured already/,
    ],
    [
      'a symmetric algorithm',
      [{ ...github, algorithms: ['HS256'] }],
      /HALLPASS_ISSUERS\.0\.algorithms\.0: only asymmetric/,
    ],
    ['no algorithm at all', [{ ...github, algorithms: [] }], /HALLPASS_ISSUERS\.0\.algorithms/],
    [
      'an unknown field',
      [{ ...github, audiences: ['a'] }],
      /HALLPASS_ISSUERS\.0: Unrecognized key: "audiences"/,
    ],
    [
      'an unknown claim mapping field',
      [{ ...github, claims: { subject: 'sub' } }],
      /HALLPASS_ISSUERS\.0\.claims/,
    ],
  ])('refuses %s, naming the field', (_name, value, message) => {
    const env = { ...REQUIRED, HALLPASS_ISSUERS: typeof value === 'string' ? value : JSON.stringify(value) };
    expect(refusal(env).message).toMatch(message);
  });
});

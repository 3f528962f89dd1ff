/**
 * Issue 19, item 10: every valid sub vends on the example catalog (catalog/example.yaml), through the
 * handler. The example's S3 prefix is the session's `hallpass:principal` tag, which IAM substitutes
 * (`${aws:PrincipalTag/hallpass:principal}`): one ARN path segment for any sub, and the value a user
 * sees in the session's tags.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Answer, invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let vend: Handler;

const PREFIX_VARIABLE = '${aws:PrincipalTag/hallpass:principal}';

beforeAll(async () => {
  // This file is about the catalog `npm start` ships, not the integration tests' own.
  process.env.HALLPASS_CATALOG = 'catalog/example.yaml';
  await useLocalSts();
  await useIsolatedTables();
  vend = (await import('../../functions/credentials.ts')).handler as unknown as Handler;
});

async function vendAs(sub: string): Promise<Answer> {
  const token = await tokenFor(sub, { groups: ['engineers'] });
  return invoke(vend, { path: '/v1/credentials', token, body: { entitlementId: 'sandbox-readonly' } });
}

/** The S3 object ARN IAM evaluates once it has substituted the session's principal tag. */
function objectArns(session: { sessionPolicy: string; tags: Record<string, string> }): string[] {
  const policy = JSON.parse(session.sessionPolicy) as { Statement: Array<{ Resource: string[] }> };
  return (policy.Statement[0]?.Resource ?? [])
    .filter((arn) => arn.includes(PREFIX_VARIABLE))
    .map((arn) => arn.replace(PREFIX_VARIABLE, session.tags['hallpass:principal'] ?? ''));
}

// Each sub, and the `hallpass:principal` tag it gets: `=HH` for characters outside letters, digits
// and `_.:@ -`; a value over 256 characters keeps a prefix, `+` and 16 hex digits of a hash.
const SUBJECTS: Array<[string, string, string | RegExp]> = [
  ['Auth0', 'auth0|42', 'auth0=7C42'],
  ['Auth0 social', 'google-oauth2|110248495921238986420', 'google-oauth2=7C110248495921238986420'],
  [
    'Entra (pairwise sub)',
    'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
    'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
  ],
  ['Entra (oid GUID)', '9f2b8c1e-4d7a-4b3e-8f61-2a5c0d9e7b14', '9f2b8c1e-4d7a-4b3e-8f61-2a5c0d9e7b14'],
  ['Google', '110248495921238986420', '110248495921238986420'],
  ['non-ASCII', 'zoë.müller@例え.jp', 'zoë.müller@例え.jp'],
  [
    'GitHub Actions',
    'repo:octo-org/octo-repo:ref:refs/heads/main',
    'repo:octo-org=2Focto-repo:ref:refs=2Fheads=2Fmain',
  ],
  ['256-character', `${'auth0|'.repeat(42)}abcd`, /^(auth0=7C){29}auth0=7\+[0-9a-f]{16}$/],
];

describe.each(SUBJECTS)('the example catalog for a %s sub', (_, sub, expectedTag) => {
  let answer: Answer;
  beforeAll(async () => {
    answer = await vendAs(sub);
  });

  it('vends credentials', () => {
    expect(answer.status).toBe(200);
    expect(answer.body.credentials.accessKeyId).toMatch(/^ASIA/);
  });

  it("tags the session with the sub's encoding, which names the user's S3 prefix", () => {
    const tag = answer.body.session.tags['hallpass:principal'];

    if (typeof expectedTag === 'string') expect(tag).toBe(expectedTag);
    else expect(tag).toMatch(expectedTag);
  });

  it('grants the S3 prefix that tag names, as one path segment', () => {
    const arns = objectArns(answer.body.session);

    expect(arns).toHaveLength(1);
    expect(arns[0]).toMatch(/^arn:aws:s3:::sandbox-scratch\/[^/]+\/\*$/);
  });
});

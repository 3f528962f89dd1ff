/**
 * Invariant 5: secrets and bearer tokens appear in no log line and no table item. Runs a mix of
 * successful and refused calls, capturing everything the service logs, then looks for each secret.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { allItems, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
const logged: string[] = [];
const secrets: string[] = [];
let vend: Handler;

beforeAll(async () => {
  await useLocalSts();
  await useIsolatedTables();
  for (const stream of ['log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, stream).mockImplementation(
      (...args: unknown[]) => void logged.push(args.map(String).join(' ')),
    );
  }
  vend = (await import('../../functions/credentials.ts')).handler as unknown as Handler;
});
afterAll(() => vi.restoreAllMocks());

it('never logs or stores a SecretAccessKey, SessionToken or bearer token', async () => {
  const cases = [
    { sub: 'alice', groups: ['engineers'], body: { entitlementId: 'sandbox-readonly' } },
    { sub: 'bob', groups: ['engineers'], body: { entitlementId: 'team-data' }, claims: { team: 'core' } },
    {
      sub: 'carol',
      groups: ['oncall'],
      body: {
        entitlementId: 'prod-admin',
        breakGlass: { justification: 'INC-1: database failover in progress' },
      },
    },
    { sub: 'dave', groups: ['engineers'], body: { entitlementId: 'prod-admin' } },
    { sub: 'erin', groups: ['engineers'], body: { entitlementId: 'sandbox-readonly', roleArn: 'x' } },
    { sub: 'frank', groups: ['engineers'], body: { entitlementId: 'untrusted' } },
    { sub: 'gina', groups: ['engineers'], body: { entitlementId: 'sandbox-readonly' }, expiresIn: -300 },
  ];
  let issued = 0;
  for (const c of cases) {
    const token = await tokenFor(c.sub, {
      groups: c.groups,
      claims: c.claims ?? {},
      expiresIn: c.expiresIn ?? 600,
    });
    secrets.push(token, token.split('.')[2] as string);
    const answer = await invoke(vend, { path: '/v1/credentials', token, body: c.body });
    if (answer.status === 200) {
      issued += 1;
      secrets.push(answer.body.credentials.secretAccessKey, answer.body.credentials.sessionToken);
    } else {
      expect(answer.raw).not.toContain(token.split('.')[2]);
    }
  }
  expect(issued).toBe(3);
  expect(logged.length).toBeGreaterThanOrEqual(cases.length);

  const stored = JSON.stringify([await allItems('audit'), await allItems('requests')]);
  const everything = `${logged.join('\n')}\n${stored}`;
  for (const secret of secrets) expect(everything).not.toContain(secret);
  // The local STS's own base credentials (what the function runs as) are not logged either.
  expect(everything).not.toContain(process.env.AWS_SECRET_ACCESS_KEY as string);
});

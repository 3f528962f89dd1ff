/**
 * GET /v1/sessions/export?format=ocsf against dynalite and the local STS: sessions issued through the
 * real vend handler and events written by the real request handlers come out as OCSF records that
 * validate against the OCSF 1.5.0 definitions (test/fixtures/ocsf), hold no secret, follow the
 * listing's visibility and filters, and continue across a cut through one cursor.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateOcsf } from '../fixtures/ocsf/validate.ts';
import { type Answer, invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
// biome-ignore lint/suspicious/noExplicitAny: records are asserted field by field.
type Line = Record<string, any>;
const h: Record<string, Handler> = {};
const as = (sub: string, groups: string[]) =>
  tokenFor(sub, { groups, name: `${sub} name`, expiresIn: 86400 });
const AUDITOR = ['auditors'];
const ALICE = ['engineers', 'oncall'];
const JUSTIFICATION = 'Deploy the payments hotfix (CHG-1234)';

/** What the callers were given: every secret and token must stay out of every export. */
const secrets: string[] = [];
const keys: Record<string, string> = {};
let approvedRequest: string;
let deniedRequest: string;

async function vend(sub: string, groups: string[], body: Record<string, unknown>): Promise<string> {
  const answer = await invoke(h.credentials, { path: '/v1/credentials', token: await as(sub, groups), body });
  expect(answer.status).toBe(200);
  secrets.push(answer.body.credentials.secretAccessKey, answer.body.credentials.sessionToken);
  return answer.body.credentials.accessKeyId;
}
async function request(sub: string): Promise<string> {
  const answer = await invoke(h['requests-create'], {
    path: '/v1/requests',
    token: await as(sub, ['engineers']),
    body: { entitlementId: 'prod-admin', justification: JUSTIFICATION },
  });
  expect(answer.status).toBe(201);
  return answer.body.id;
}
async function decide(action: 'approve' | 'deny', id: string, body: unknown) {
  const answer = await invoke(h[`requests-${action}`], {
    method: 'POST',
    path: `/v1/requests/${id}/${action}`,
    token: await as('bob', ['approvers']),
    body,
    pathParameters: { id },
  });
  expect(answer.status).toBe(200);
}
async function exportAs(sub: string, groups: string[], query: Record<string, string> = {}): Promise<Answer> {
  return invoke(h['sessions-export'], { path: '/v1/sessions/export', token: await as(sub, groups), query });
}
const records = (answer: Answer) =>
  answer.raw
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Line);

beforeAll(async () => {
  await useLocalSts();
  await useIsolatedTables();
  for (const name of [
    'credentials',
    'requests-create',
    'requests-approve',
    'requests-deny',
    'sessions-export',
  ])
    h[name] = (await import(`../../functions/${name}.ts`)).handler as Handler;
  h['sessions-list'] = (await import('../../functions/sessions-list.ts')).handler as Handler;

  keys.aliceSandbox = await vend('alice', ALICE, { entitlementId: 'sandbox-readonly' });
  approvedRequest = await request('alice');
  await decide('approve', approvedRequest, { comment: 'CHG-1234 is approved' });
  keys.aliceProd = await vend('alice', ALICE, { entitlementId: 'prod-admin', requestId: approvedRequest });
  deniedRequest = await request('alice');
  await decide('deny', deniedRequest, { reason: 'not during the freeze' });
  keys.aliceGlass = await vend('alice', ALICE, {
    entitlementId: 'prod-admin',
    breakGlass: { justification: 'INC-42: payments are down, failover needed' },
  });
  keys.carolSandbox = await vend('carol', ['engineers'], { entitlementId: 'sandbox-readonly' });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('GET /v1/sessions/export?format=ocsf', () => {
  it('writes every session and workflow event as an OCSF record that validates', async () => {
    const answer = await exportAs('audrey', AUDITOR, { format: 'ocsf' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/x-ndjson');
    expect(answer.headers['x-next-cursor']).toBeUndefined();
    const lines = records(answer);
    for (const record of lines) expect(validateOcsf(record), JSON.stringify(record)).toEqual([]);

    const logons = lines.filter((r) => r.class_uid === 3002);
    expect(logons.map((r) => r.session.credential_uid).sort()).toEqual(Object.values(keys).sort());
    const changes = lines.filter((r) => r.class_uid === 3004);
    expect(changes.map((r) => `${r.metadata.event_code} ${r.entity.uid}`).sort()).toEqual(
      [
        `request.created ${approvedRequest}`,
        `request.approved ${approvedRequest}`,
        `request.created ${deniedRequest}`,
        `request.denied ${deniedRequest}`,
      ].sort(),
    );
    expect(lines).toHaveLength(logons.length + changes.length);
  });

  it('is the default format, and maps a session to Authentication: Logon with its AccessKeyId', async () => {
    const lines = records(await exportAs('audrey', AUDITOR, { accessKeyId: keys.aliceGlass as string }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      class_uid: 3002,
      activity_id: 1,
      type_uid: 300201,
      severity_id: 4,
      user: { uid: 'alice', name: 'alice name' },
      service: { name: 'prod-admin', uid: 'arn:aws:iam::222222222222:role/hallpass-prod-admin' },
      session: { credential_uid: keys.aliceGlass, issuer: 'hallpass' },
      metadata: { version: '1.5.0', product: { name: 'hallpass' }, event_code: 'credentials.issued' },
    });
  });

  it('contains none of the secrets or session tokens the callers were given', async () => {
    const answer = await exportAs('audrey', AUDITOR);
    expect(secrets).toHaveLength(2 * Object.keys(keys).length);
    for (const secret of secrets) expect(answer.raw).not.toContain(secret);
    expect(answer.raw).not.toMatch(/secretAccessKey|sessionToken|SecretAccessKey|SessionToken/);
  });

  it("shows anyone but an auditor only their own sessions and their own requests' events", async () => {
    const carol = records(await exportAs('carol', ['engineers']));
    expect(carol.map((r) => r.class_uid)).toEqual([3002]);
    expect(carol[0]?.session.credential_uid).toBe(keys.carolSandbox);
    expect(records(await exportAs('carol', ['engineers'], { principal: 'alice' }))).toEqual([]);
  });

  it('applies the filters to sessions and events alike: a request, an entitlement', async () => {
    const story = records(await exportAs('audrey', AUDITOR, { requestId: approvedRequest }));
    expect(story.map((r) => r.metadata.event_code).sort()).toEqual([
      'credentials.issued',
      'request.approved',
      'request.created',
    ]);
    const sandbox = records(await exportAs('audrey', AUDITOR, { entitlementId: 'sandbox-readonly' }));
    expect(sandbox.map((r) => r.session?.credential_uid).sort()).toEqual(
      [keys.aliceSandbox, keys.carolSandbox].sort(),
    );
  });

  it('leaves the events out under a filter that only sessions carry (break glass, role, key)', async () => {
    const glass = records(await exportAs('audrey', AUDITOR, { breakGlass: 'true' }));
    expect(glass.map((r) => r.session.credential_uid)).toEqual([keys.aliceGlass]);
  });

  it('continues a cut export through X-Next-Cursor, from the sessions into the events, losing nothing', async () => {
    const whole = records(await exportAs('audrey', AUDITOR, { principal: 'alice' }));
    // Every page overruns the time budget: the export is cut after each one.
    let clock = 0n;
    // The export's clock (monotonicMs, lib/core/time.ts): a minute passes at each reading.
    vi.spyOn(process.hrtime, 'bigint').mockImplementation(() => (clock += 60_000_000_000n));
    const parts: Line[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const answer = await exportAs('audrey', AUDITOR, { principal: 'alice', ...(cursor ? { cursor } : {}) });
      expect(answer.status).toBe(200);
      parts.push(...records(answer));
      cursor = answer.headers['x-next-cursor'];
      calls += 1;
    } while (cursor && calls < 10);
    expect(calls).toBeGreaterThan(1);
    expect(parts).toEqual(whole);
  });

  it('refuses a cursor of another listing, another query or another caller, and one that was altered', async () => {
    let clock = 0n;
    // The export's clock (monotonicMs, lib/core/time.ts): a minute passes at each reading.
    vi.spyOn(process.hrtime, 'bigint').mockImplementation(() => (clock += 60_000_000_000n));
    const first = await exportAs('audrey', AUDITOR, { principal: 'alice' });
    const cursor = first.headers['x-next-cursor'] as string;
    expect(cursor).toBeTruthy();
    vi.restoreAllMocks();
    const refused = [
      await exportAs('audrey', AUDITOR, { principal: 'carol', cursor }),
      await exportAs('audrey', AUDITOR, { principal: 'alice', format: 'ndjson', cursor }),
      await exportAs('auditor2', AUDITOR, { principal: 'alice', cursor }),
      await exportAs('audrey', AUDITOR, { principal: 'alice', cursor: `${cursor.slice(0, -2)}xx` }),
      await invoke(h['sessions-list'], {
        path: '/v1/sessions',
        token: await as('audrey', AUDITOR),
        query: { principal: 'alice', cursor },
      }),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
  });

  it('exports the sessions as GET /v1/sessions does with format=ndjson and csv', async () => {
    const ndjson = await exportAs('audrey', AUDITOR, { format: 'ndjson', principal: 'carol' });
    expect(ndjson.headers['content-type']).toBe('application/x-ndjson');
    expect(records(ndjson).map((s) => s.accessKeyId)).toEqual([keys.carolSandbox]);
    const csv = await exportAs('audrey', AUDITOR, { format: 'csv', principal: 'carol' });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.raw).toContain(keys.carolSandbox);
  });

  it('refuses an unknown parameter or format (400)', async () => {
    for (const query of [{ format: 'json' }, { limit: '10' }, { nonsense: '1' }] as Array<
      Record<string, string>
    >) {
      const answer = await exportAs('audrey', AUDITOR, query);
      expect(answer.status).toBe(400);
    }
  });
});

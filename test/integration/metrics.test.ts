/**
 * Metrics (issue 16): real handlers, real local services; the EMF lines they print are read back and
 * checked for names, units, dimension sets and values, one outcome at a time. Every dimension set
 * starts with Powertools' `service` (= hallpass); no line carries a principal, a key or a secret.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { invoke } from '../support/api.ts';
import { captureEmf, type EmfCapture } from '../support/emf.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { dynamodb, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
const WHY = 'INC-777: the payments queue is stuck';
let tables: { audit: string; requests: string };

beforeAll(async () => {
  await useLocalSts();
  tables = await useIsolatedTables();
});

afterEach(() => {
  vi.restoreAllMocks();
  process.env.HALLPASS_AUDIT_TABLE = tables.audit;
  delete process.env.HALLPASS_JWKS_URI;
  delete process.env.HALLPASS_WEBHOOK_URL;
});

/** A handler module imported afresh (a cold container) after the environment is set. */
async function fresh(name: string, env: Record<string, string> = {}): Promise<Handler> {
  vi.resetModules();
  Object.assign(process.env, env);
  return (await import(`../../functions/${name}.ts`)).handler as Handler;
}

const as = (sub: string, groups: string[]) => tokenFor(sub, { groups, name: `${sub} name` });

async function vend(handler: Handler, sub: string, groups: string[], body: Record<string, unknown>) {
  return invoke(handler, { path: '/v1/credentials', token: await as(sub, groups), body });
}

async function act(
  name: 'approve' | 'deny' | 'cancel',
  id: string,
  sub: string,
  groups: string[],
  body = {},
) {
  return invoke(await fresh(`requests-${name}`), {
    method: 'POST',
    path: `/v1/requests/${id}/${name}`,
    token: await as(sub, groups),
    body,
    pathParameters: { id },
  });
}

async function createRequest(): Promise<string> {
  const created = await invoke(await fresh('requests-create'), {
    path: '/v1/requests',
    token: await as('alice', ['engineers']),
    body: { entitlementId: 'prod-admin', justification: 'Rotate the TLS certificate' },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** Nothing a dimension or a value may never be: who, which key, which secret. */
function expectNothingPersonal(emf: EmfCapture, ...forbidden: string[]) {
  for (const doc of emf.documents()) {
    const text = JSON.stringify(doc);
    for (const word of forbidden) expect(text).not.toContain(word);
    expect(text).not.toMatch(/ASIA[A-Z2-7]{16}/);
    expect(doc._aws.CloudWatchMetrics[0]?.Namespace).toBe('hallpass');
    expect(doc.service).toBe('hallpass');
  }
}

describe('a vend that returned credentials', () => {
  it('counts CredentialsIssued by entitlement and path direct, and times AssumeRole and PutItem', async () => {
    const handler = await fresh('credentials');
    const emf = captureEmf();
    const answer = await vend(handler, 'alice', ['engineers'], { entitlementId: 'sandbox-readonly' });
    expect(answer.status).toBe(200);

    expect(emf.values('CredentialsIssued')).toEqual([
      {
        namespace: 'hallpass',
        name: 'CredentialsIssued',
        unit: 'Count',
        dimensionSet: ['service', 'Entitlement', 'Path'],
        dimensions: { service: 'hallpass', Entitlement: 'sandbox-readonly', Path: 'direct' },
        value: 1,
      },
    ]);
    expect(emf.values('BreakGlassIssued')).toEqual([]);
    const latencies = emf.values('UpstreamLatency');
    for (const op of [
      { service: 'hallpass', Dependency: 'sts', Operation: 'AssumeRole' },
      { service: 'hallpass', Dependency: 'dynamodb', Operation: 'PutItem' },
      // A cold container fetches the issuer's keys once.
      { service: 'hallpass', Dependency: 'jwks', Operation: 'jwks' },
    ]) {
      const found = latencies.filter((l) => JSON.stringify(l.dimensions) === JSON.stringify(op));
      expect(found, JSON.stringify(op)).toHaveLength(1);
      expect(found[0]?.unit).toBe('Milliseconds');
      expect(found[0]?.dimensionSet).toEqual(['service', 'Dependency', 'Operation']);
      expect(found[0]?.value).toBeGreaterThan(0);
    }
    expect(emf.values('UpstreamError')).toEqual([]);
    expectNothingPersonal(emf, 'alice', answer.body.credentials.secretAccessKey, answer.body.session.id);
  });

  it('counts break glass as CredentialsIssued with path break-glass and BreakGlassIssued, without dimensions', async () => {
    const handler = await fresh('credentials');
    const emf = captureEmf();
    const answer = await vend(handler, 'olga', ['oncall'], {
      entitlementId: 'prod-admin',
      breakGlass: { justification: WHY },
    });
    expect(answer.status).toBe(200);
    expect(emf.total('CredentialsIssued', { Entitlement: 'prod-admin', Path: 'break-glass' })).toBe(1);
    expect(emf.values('BreakGlassIssued')).toMatchObject([
      { unit: 'Count', dimensionSet: ['service'], value: 1 },
    ]);
    // The break-glass allowance is read from the audit table: that query is timed too.
    expect(emf.values('UpstreamLatency').map((l) => l.dimensions.Operation)).toContain('Query');
    expectNothingPersonal(emf, 'olga', 'INC-777');
  });

  it('counts an approved request vend with path approved, and each decision by what it was', async () => {
    const id = await createRequest();
    let emf = captureEmf();
    expect((await act('approve', id, 'bob', ['approvers'])).status).toBe(200);
    expect(emf.values('RequestDecided')).toMatchObject([
      {
        unit: 'Count',
        dimensionSet: ['service', 'Decision'],
        dimensions: { Decision: 'approved' },
        value: 1,
      },
    ]);
    vi.restoreAllMocks();

    const handler = await fresh('credentials');
    emf = captureEmf();
    const answer = await vend(handler, 'alice', ['engineers'], {
      entitlementId: 'prod-admin',
      requestId: id,
    });
    expect(answer.status).toBe(200);
    expect(emf.total('CredentialsIssued', { Entitlement: 'prod-admin', Path: 'approved' })).toBe(1);
    expect(emf.values('UpstreamLatency').map((l) => l.dimensions.Operation)).toContain('UpdateItem');
    expectNothingPersonal(emf, 'alice', 'bob', id);
  });

  it('counts denials and cancellations as RequestDecided denied and cancelled', async () => {
    const denied = await createRequest();
    const cancelled = await createRequest();
    const emf = captureEmf();
    expect(
      (await act('deny', denied, 'bob', ['approvers'], { reason: 'not in the change window' })).status,
    ).toBe(200);
    expect((await act('cancel', cancelled, 'alice', ['engineers'])).status).toBe(200);
    expect(emf.total('RequestDecided', { Decision: 'denied' })).toBe(1);
    expect(emf.total('RequestDecided', { Decision: 'cancelled' })).toBe(1);
    expect(emf.total('RequestDecided', { Decision: 'approved' })).toBe(0);
    expectNothingPersonal(emf, 'alice', 'bob', denied, cancelled);
  });
});

describe('refusals and errors, counted by the error handler', () => {
  it('counts each 4xx as Refused with its API code', async () => {
    const handler = await fresh('credentials');
    const emf = captureEmf();
    expect((await invoke(handler, { path: '/v1/credentials', body: { entitlementId: 'x' } })).status).toBe(
      401,
    );
    expect((await vend(handler, 'alice', ['engineers'], { entitlementId: 'no-such' })).status).toBe(404);
    expect((await vend(handler, 'alice', ['engineers'], { entitlementId: 'prod-admin' })).status).toBe(403);
    expect(
      (await vend(handler, 'alice', ['engineers'], { entitlementId: 'sandbox-readonly', roleArn: 'x' }))
        .status,
    ).toBe(400);
    expect(emf.values('Refused').map((v) => [v.dimensionSet, v.dimensions.Code, v.unit, v.value])).toEqual([
      [['service', 'Code'], 'unauthenticated', 'Count', 1],
      [['service', 'Code'], 'not_found', 'Count', 1],
      [['service', 'Code'], 'approval_required', 'Count', 1],
      [['service', 'Code'], 'invalid_request', 'Count', 1],
    ]);
    expect(emf.values('ServerErrors')).toEqual([]);
    expect(emf.values('CredentialsIssued')).toEqual([]);
    expectNothingPersonal(emf, 'alice', 'no-such');
  });

  it('counts the 404 of an unknown route, which imports no deps', async () => {
    const handler = await fresh('not-found');
    const emf = captureEmf();
    expect((await invoke(handler, { method: 'GET', path: '/v1/nothing-here' })).status).toBe(404);
    expect(emf.total('Refused', { Code: 'not_found' })).toBe(1);
  });

  it('an audit record that cannot be written: AuditWriteFailed, UpstreamError dynamodb, ServerErrors upstream_unavailable', async () => {
    const handler = await fresh('credentials', { HALLPASS_AUDIT_TABLE: 'hallpass-no-such-table' });
    const emf = captureEmf();
    expect((await vend(handler, 'alice', ['engineers'], { entitlementId: 'sandbox-readonly' })).status).toBe(
      503,
    );
    expect(emf.values('AuditWriteFailed')).toMatchObject([
      { unit: 'Count', dimensionSet: ['service'], value: 1 },
    ]);
    expect(emf.values('UpstreamError')).toMatchObject([
      {
        unit: 'Count',
        dimensionSet: ['service', 'Dependency'],
        dimensions: { Dependency: 'dynamodb' },
        value: 1,
      },
    ]);
    expect(emf.values('ServerErrors')).toMatchObject([
      { dimensionSet: ['service', 'Code'], dimensions: { Code: 'upstream_unavailable' }, value: 1 },
    ]);
    expect(emf.values('CredentialsIssued')).toEqual([]);
    expectNothingPersonal(emf, 'alice');
  });

  it('an audit event that cannot be written: AuditWriteFailed, while the decision stands', async () => {
    const id = await createRequest();
    const approve = await fresh('requests-approve', { HALLPASS_AUDIT_TABLE: 'hallpass-no-such-table' });
    const emf = captureEmf();
    const answer = await invoke(approve, {
      method: 'POST',
      path: `/v1/requests/${id}/approve`,
      token: await as('bob', ['approvers']),
      body: {},
      pathParameters: { id },
    });
    expect(answer.status).toBe(200);
    expect(emf.total('RequestDecided', { Decision: 'approved' })).toBe(1);
    expect(emf.total('AuditWriteFailed')).toBe(1);
    expect(emf.total('UpstreamError', { Dependency: 'dynamodb' })).toBe(1);
  });

  it('STS refusing the role: UpstreamError sts, and a configuration error (Refused invalid_request)', async () => {
    const handler = await fresh('credentials');
    const emf = captureEmf();
    expect((await vend(handler, 'alice', ['engineers'], { entitlementId: 'untrusted' })).status).toBe(400);
    expect(emf.values('UpstreamError')).toMatchObject([
      { dimensionSet: ['service', 'Dependency'], dimensions: { Dependency: 'sts' }, value: 1 },
    ]);
    expect(emf.total('UpstreamLatency', { Dependency: 'sts', Operation: 'AssumeRole' })).toBeGreaterThan(0);
    expect(emf.total('Refused', { Code: 'invalid_request' })).toBe(1);
  });

  it("the issuer's keys unreachable: UpstreamError jwks with its latency, ServerErrors upstream_unavailable", async () => {
    const handler = await fresh('credentials', { HALLPASS_JWKS_URI: 'http://127.0.0.1:9/jwks.json' });
    const emf = captureEmf();
    expect((await vend(handler, 'alice', ['engineers'], { entitlementId: 'sandbox-readonly' })).status).toBe(
      503,
    );
    expect(emf.values('UpstreamError')).toMatchObject([{ dimensions: { Dependency: 'jwks' }, value: 1 }]);
    expect(emf.values('UpstreamLatency')).toMatchObject([
      { unit: 'Milliseconds', dimensions: { Dependency: 'jwks', Operation: 'jwks' } },
    ]);
    expect(emf.total('ServerErrors', { Code: 'upstream_unavailable' })).toBe(1);
  });
});

describe('the notify and reminder functions', () => {
  it('counts a failed webhook delivery as NotificationFailed with channel webhook', async () => {
    const issued = await vend(await fresh('credentials'), 'olga', ['oncall'], {
      entitlementId: 'prod-admin',
      breakGlass: { justification: WHY },
    });
    const { Items = [] } = await dynamodb().send(
      new ScanCommand({ TableName: tables.audit, ConsistentRead: true }),
    );
    const item = Items.find((i) => i.pk?.S === `session#${issued.body.credentials.accessKeyId}`);
    const event: DynamoDBStreamEvent = {
      Records: [
        {
          eventName: 'INSERT',
          dynamodb: { NewImage: item as never, SequenceNumber: '1', StreamViewType: 'NEW_IMAGE' },
        },
      ],
    };
    delete process.env.HALLPASS_EVENT_BUS;
    const notify = (await fresh('notify', {
      HALLPASS_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
    })) as unknown as (e: DynamoDBStreamEvent) => Promise<{ batchItemFailures: unknown[] }>;
    const emf = captureEmf();
    const result = await notify(event);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(emf.values('NotificationFailed')).toMatchObject([
      { unit: 'Count', dimensionSet: ['service', 'Channel'], dimensions: { Channel: 'webhook' }, value: 1 },
    ]);
    expectNothingPersonal(emf, 'olga', 'INC-777');
  });

  it('counts the reminders the scheduled function sent as BreakGlassReminders, zero included', async () => {
    const remind = (await fresh('review-reminder')) as unknown as () => Promise<{ reminders: number }>;
    const emf = captureEmf();
    const { reminders } = await remind();
    expect(emf.values('BreakGlassReminders')).toMatchObject([
      { unit: 'Count', dimensionSet: ['service'], value: reminders },
    ]);
  });
});

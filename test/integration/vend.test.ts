import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromItem } from '../../lib/adapters/dynamo-item.ts';
import type { LocalSts } from '../../local/sts/server.ts';
import { type Answer, invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { allItems, dynamodb, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let vend: Handler;
let sts: LocalSts;

beforeAll(async () => {
  sts = await useLocalSts();
  await useIsolatedTables();
  vend = (await import('../../functions/credentials.ts')).handler as unknown as Handler;
});

async function vendAs(
  sub: string,
  groups: string[],
  body: Record<string, unknown>,
  claims = {},
): Promise<Answer> {
  const token = await tokenFor(sub, { groups, name: `${sub} name`, claims });
  return invoke(vend, { path: '/v1/credentials', token, body });
}

async function auditRecord(accessKeyId: string) {
  const { Item } = await dynamodb().send(
    new GetItemCommand({
      TableName: process.env.HALLPASS_AUDIT_TABLE,
      Key: { pk: { S: `session#${accessKeyId}` } },
      ConsistentRead: true,
    }),
  );
  return Item ? fromItem(Item) : undefined;
}

describe('POST /v1/credentials for an entitlement that needs no approval', () => {
  let answer: Answer;
  beforeAll(async () => {
    answer = await vendAs('alice', ['engineers'], {
      entitlementId: 'sandbox-readonly',
      durationSeconds: 1800,
    });
  });

  it('returns credentials with Cache-Control: no-store and a request id', () => {
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['x-request-id']).toMatch(/\S{8,}/);
    expect(answer.body.credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(answer.body.credentials.secretAccessKey).toHaveLength(40);
    expect(answer.body.credentials.sessionToken.length).toBeGreaterThan(40);
  });

  it('returns STS own expiration for the requested duration', () => {
    const { expiration } = answer.body.credentials;
    expect(expiration).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const seconds = (Date.parse(expiration) - Date.parse(answer.body.session.issuedAt)) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(1799);
    expect(seconds).toBeLessThanOrEqual(1801);
    expect(answer.body.session.expiresAt).toBe(expiration);
  });

  it('describes the session with identity, tags and policy built from the catalog and the token', () => {
    const { session } = answer.body;
    expect(session).toMatchObject({
      principal: { sub: 'alice', name: 'alice name', groups: ['engineers'] },
      entitlementId: 'sandbox-readonly',
      roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
      sourceIdentity: 'alice',
      durationSeconds: 1800,
      policyArns: [],
      requestId: null,
      approvers: [],
      breakGlass: null,
      client: { sourceIp: '203.0.113.7', userAgent: 'hallpass-tests/1.0' },
    });
    expect(session.id).toMatch(/^[a-z2-7]{16}$/);
    expect(session.sessionName).toBe(`alice.${session.id}`);
    expect(session.assumedRoleArn).toBe(
      `arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice.${session.id}`,
    );
    expect(session.tags).toEqual({
      environment: 'sandbox',
      'hallpass:session-id': session.id,
      'hallpass:principal': 'alice',
    });
    const policy = JSON.parse(session.sessionPolicy);
    expect(policy.Statement[0].Resource).toEqual(['arn:aws:s3:::sandbox-scratch/alice/*']);
    // IAM's own policy variables are left for IAM to evaluate.
    expect(policy.Statement[0].Condition.StringEquals['aws:PrincipalTag/environment']).toBe(
      '${aws:PrincipalTag/environment}',
    );
  });

  it('issues credentials that STS accepts for GetCallerIdentity as the assumed role', async () => {
    const { credentials, session } = answer.body;
    const client = new STSClient({
      region: 'us-east-1',
      endpoint: process.env.AWS_ENDPOINT_URL_STS,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: credentials.sessionToken,
      },
    });
    const identity = await client.send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(session.assumedRoleArn);
    expect(identity.Account).toBe('111111111111');
  });

  it('writes exactly one audit record, keyed by AccessKeyId, equal to the session and holding no secret', async () => {
    const { credentials, session } = answer.body;
    const record = await auditRecord(credentials.accessKeyId);
    expect(record).toMatchObject({
      kind: 'session',
      event: 'credentials.issued',
      accessKeyId: credentials.accessKeyId,
    });
    expect(record?.record).toEqual(session);
    const text = JSON.stringify(record);
    expect(text).not.toContain(credentials.secretAccessKey);
    expect(text).not.toContain(credentials.sessionToken);
    const sameKey = (await allItems('audit')).filter((item) => item.accessKeyId === credentials.accessKeyId);
    expect(sameKey).toHaveLength(1);
  });

  it('sets a retention TTL on the audit record', async () => {
    const record = await auditRecord(answer.body.credentials.accessKeyId);
    const issued = Date.parse(answer.body.session.issuedAt) / 1000;
    expect(record?.ttl).toBe(issued + 400 * 86400);
  });

  it('uses the entitlement default duration when none is asked for', async () => {
    const other = await vendAs('alice', ['engineers'], { entitlementId: 'sandbox-readonly' });
    expect(other.status).toBe(200);
    expect(other.body.session.durationSeconds).toBe(900);
  });
});

describe('session parameters from claims', () => {
  it('renders tag templates from verified claims, with ExternalId and policy ARNs from the catalog', async () => {
    const answer = await vendAs('bob', ['engineers'], { entitlementId: 'team-data' }, { team: 'payments' });
    expect(answer.status).toBe(200);
    expect(answer.body.session.tags.team).toBe('payments');
    expect(answer.body.session.policyArns).toEqual(['arn:aws:iam::333333333333:policy/team-boundary']);
    expect(answer.body.session.durationSeconds).toBe(1200);
  });

  it('refuses a token without the claim a tag template needs, before calling STS', async () => {
    const before = sts.issuedAccessKeyIds().length;
    const answer = await vendAs('bob', ['engineers'], { entitlementId: 'team-data' });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
    expect(answer.body.error.message).toContain("'team' claim");
    expect(sts.issuedAccessKeyIds()).toHaveLength(before);
  });

  it('refuses a claim value that STS would not accept in a tag rather than altering it', async () => {
    const answer = await vendAs('bob', ['engineers'], { entitlementId: 'team-data' }, { team: 'pay<ments>' });
    expect(answer.status).toBe(403);
  });

  it('encodes a principal with characters STS refuses one-to-one into SourceIdentity and the session name', async () => {
    const answer = await vendAs('auth0|12345', ['engineers'], { entitlementId: 'sandbox-readonly' });
    expect(answer.status).toBe(403); // `|` may not be substituted into the session policy's resource
    const team = await vendAs('auth0|12345', ['engineers'], { entitlementId: 'team-data' }, { team: 'core' });
    expect(team.status).toBe(200);
    expect(team.body.session.sourceIdentity).toBe('auth0=7C12345');
    expect(team.body.session.sessionName).toBe(`auth0=7C12345.${team.body.session.id}`);
    expect(team.body.session.tags['hallpass:principal']).toBe('auth0=7C12345');
    expect(team.body.session.principal.sub).toBe('auth0|12345');
  });
});

describe('break glass', () => {
  const justification = 'INC-4242: payments API down, need to inspect the load balancer';

  it('gives an on-call member credentials at once, tagged and pending review', async () => {
    const answer = await vendAs('carol', ['oncall'], {
      entitlementId: 'prod-admin',
      breakGlass: { justification },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.session.tags['hallpass:break-glass']).toBe('true');
    expect(answer.body.session.breakGlass).toEqual({
      justification,
      review: { status: 'pending', reviewer: null, at: null, comment: null },
    });
    expect(answer.body.session.durationSeconds).toBe(900);
  });

  it('refuses a duration above the break-glass maximum', async () => {
    const answer = await vendAs('carol', ['oncall'], {
      entitlementId: 'prod-admin',
      durationSeconds: 1800,
      breakGlass: { justification },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([
      { path: 'durationSeconds', message: 'must be at most 900 seconds' },
    ]);
  });

  it('refuses a caller outside the break-glass groups', async () => {
    const answer = await vendAs('dave', ['engineers'], {
      entitlementId: 'prod-admin',
      breakGlass: { justification },
    });
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
  });

  it('refuses break glass on an entitlement that has none', async () => {
    const answer = await vendAs('carol', ['oncall', 'engineers'], {
      entitlementId: 'sandbox-readonly',
      breakGlass: { justification },
    });
    expect(answer.status).toBe(403);
  });
});

describe('refusals from STS', () => {
  it('answers a configuration error naming the role when its trust policy does not trust hallpass, and records nothing', async () => {
    const before = (await allItems('audit')).length;
    const answer = await vendAs('alice', ['engineers'], { entitlementId: 'untrusted' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain('hallpass-untrusted');
    expect(answer.body.error.message).toContain('trust policy does not trust hallpass');
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(await allItems('audit')).toHaveLength(before);
  });

  it('reports a packed policy STS refuses as a catalog problem (400), not a 500', async () => {
    const answer = await vendAs('alice', ['engineers'], { entitlementId: 'oversized' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain('PackedPolicyTooLarge');
  });

  it('answers 503 with Retry-After when STS throttles, after bounded retries', async () => {
    sts.setFault({ action: 'AssumeRole', code: 'Throttling' });
    try {
      const answer = await vendAs('alice', ['engineers'], { entitlementId: 'sandbox-readonly' });
      expect(answer.status).toBe(503);
      expect(answer.headers['retry-after']).toBeDefined();
    } finally {
      sts.setFault(null);
    }
  });
});

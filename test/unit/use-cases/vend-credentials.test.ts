import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { fromItem } from '../../../lib/adapters/dynamo-item.ts';
import { parseCatalog } from '../../../lib/core/catalog.ts';
import type { Principal } from '../../../lib/core/principal.ts';
import {
  ApprovalRequiredError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  UpstreamUnavailableError,
} from '../../../lib/errors.ts';
import type { VendRequest } from '../../../lib/schemas.ts';
import { type VendDeps, vendCredentials } from '../../../lib/use-cases/vend-credentials.ts';
import {
  CATALOG_OPTIONS,
  catalogDocument,
  PROD_ROLE,
  principal,
  prodDocument,
  SANDBOX_ROLE,
  testCatalog,
} from '../fixtures.ts';

const sts = mockClient(STSClient);
const dynamodb = mockClient(DynamoDBClient);

const NOW = new Date('2026-11-28T12:00:00Z');
const JUSTIFICATION = 'production database is down, paging incident 4711';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const tables = new DynamoDBClient({ region: 'us-east-1' });
const deps: VendDeps = {
  catalog: testCatalog(),
  // The per-person break-glass limit has its own tests (test/integration/break-glass-limit.test.ts).
  config: { breakGlassMaxPerHour: 0 },
  sts: new STSClient({ region: 'us-east-1' }),
  audit: { client: tables, tableName: 'hallpass-test-audit', retentionDays: 400 },
  requests: { client: tables, tableName: 'hallpass-test-requests', retentionDays: 400 },
  now: () => NOW,
};

const engineer = principal({ sub: 'alice', groups: ['engineers'] });
const oncall = principal({ sub: 'bob', name: 'bob@example.com', groups: ['oncall'] });

function answer(durationSeconds = 900): AssumeRoleCommandOutput {
  return {
    $metadata: {},
    Credentials: {
      AccessKeyId: 'ASIAEXAMPLEKEY000001',
      SecretAccessKey: SECRET,
      SessionToken: 'session-token',
      Expiration: new Date(NOW.getTime() + durationSeconds * 1000),
    },
    AssumedRoleUser: {
      Arn: 'arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/alice.x',
      AssumedRoleId: 'AROAEXAMPLE:alice.x',
    },
  };
}

function vend(body: VendRequest, caller: Principal = engineer) {
  return vendCredentials(deps, {
    principal: caller,
    body,
    client: { sourceIp: '192.0.2.1', userAgent: 'curl/8' },
  });
}

/** How many calls STS and DynamoDB received. */
function awsCalls(): { sts: number; dynamodb: number } {
  return { sts: sts.calls().length, dynamodb: dynamodb.calls().length };
}

function sentAssumeRole() {
  return sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input;
}

function storedRecord() {
  const item = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
  return item ? fromItem(item) : undefined;
}

beforeEach(() => {
  sts.reset();
  dynamodb.reset();
  sts.on(AssumeRoleCommand).resolves(answer());
  dynamodb.on(PutItemCommand).resolves({});
});

describe('vendCredentials', () => {
  it('returns the credentials STS issued', async () => {
    const result = await vend({ entitlementId: 'sandbox-readonly' });

    expect(result.credentials).toEqual({
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      secretAccessKey: SECRET,
      sessionToken: 'session-token',
      expiration: '2026-11-28T12:15:00Z',
    });
  });

  it('returns the session that describes them', async () => {
    const result = await vend({ entitlementId: 'sandbox-readonly' });

    expect(result.session).toMatchObject({
      issuedAt: '2026-11-28T12:00:00Z',
      expiresAt: '2026-11-28T12:15:00Z',
      principal: { sub: 'alice', name: 'alice@example.com', groups: ['engineers'] },
      entitlementId: 'sandbox-readonly',
      roleArn: SANDBOX_ROLE,
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      durationSeconds: 900,
      requestId: null,
      approvers: [],
      breakGlass: null,
      client: { sourceIp: '192.0.2.1', userAgent: 'curl/8' },
    });
  });

  it('assumes the role of the entitlement for the default duration', async () => {
    await vend({ entitlementId: 'sandbox-readonly' });

    expect(sentAssumeRole()).toMatchObject({
      RoleArn: SANDBOX_ROLE,
      DurationSeconds: 900,
      SourceIdentity: 'alice',
    });
  });

  it('assumes the role for the duration asked for', async () => {
    await vend({ entitlementId: 'sandbox-readonly', durationSeconds: 3600 });

    expect(sentAssumeRole()?.DurationSeconds).toBe(3600);
  });

  it('writes the audit record after AssumeRole', async () => {
    const order: string[] = [];
    sts.on(AssumeRoleCommand).callsFake(() => {
      order.push('AssumeRole');
      return answer();
    });
    dynamodb.on(PutItemCommand).callsFake(() => {
      order.push('PutItem');
      return {};
    });

    await vend({ entitlementId: 'sandbox-readonly' });

    expect(order).toEqual(['AssumeRole', 'PutItem']);
  });

  it('writes the returned session as the audit record, keyed by its AccessKeyId', async () => {
    const result = await vend({ entitlementId: 'sandbox-readonly' });

    expect(storedRecord()).toMatchObject({ pk: 'session#ASIAEXAMPLEKEY000001', record: result.session });
  });

  it('never writes the secret access key or session token to the audit table', async () => {
    await vend({ entitlementId: 'sandbox-readonly' });

    const written = JSON.stringify(dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input);
    expect([written.includes(SECRET), written.includes('session-token')]).toEqual([false, false]);
  });

  it('refuses an unknown entitlement without calling STS', async () => {
    await expect(vend({ entitlementId: 'no-such-thing' })).rejects.toThrow(NotFoundError);
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it('refuses a caller outside the requester groups without calling STS', async () => {
    await expect(
      vend({ entitlementId: 'sandbox-readonly' }, principal({ groups: ['contractors'] })),
    ).rejects.toThrow(ForbiddenError);
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it('asks for an approved request on an entitlement that needs one, without calling STS', async () => {
    await expect(vend({ entitlementId: 'prod-admin' })).rejects.toThrow(ApprovalRequiredError);
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it('refuses a requestId that names no request, without calling STS', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    dynamodb.on(GetItemCommand).resolves({});

    await expect(vend({ entitlementId: 'prod-admin', requestId: 'rnosuchrequestaaaaaaaaa' })).rejects.toThrow(
      NotFoundError,
    );
    expect({
      sts: sts.calls().length,
      consume: dynamodb.commandCalls(UpdateItemCommand).length,
      audit: dynamodb.commandCalls(PutItemCommand).length,
    }).toEqual({ sts: 0, consume: 1, audit: 0 });
  });

  it("answers 404 for a requestId of another shape than a request's, before any write (IAM would refuse it)", async () => {
    // The vend role may update request items alone (serverless.yml requestItemIds): a write of
    // another key would be AccessDenied, a 503, where the contract says 404.
    for (const requestId of ['someone-elses', 'meta#jwks#x', 'rnosuchrequest0000000000', 'R'.repeat(23)]) {
      await expect(vend({ entitlementId: 'prod-admin', requestId }), requestId).rejects.toThrow(
        NotFoundError,
      );
    }
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it('refuses a duration over the maximum without calling STS', async () => {
    await expect(vend({ entitlementId: 'sandbox-readonly', durationSeconds: 3601 })).rejects.toThrow(
      InvalidRequestError,
    );
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it('returns no credentials when the audit record cannot be written', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(Object.assign(new Error('x'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(vend({ entitlementId: 'sandbox-readonly' })).rejects.toThrow(UpstreamUnavailableError);
  });

  it('keeps the secret out of the error when the audit record cannot be written', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' }));

    const error = await vend({ entitlementId: 'sandbox-readonly' }).catch((caught: Error) => caught);

    expect(`${error} ${JSON.stringify(error)}`).not.toContain(SECRET);
  });

  it('writes no audit record when STS fails', async () => {
    sts.on(AssumeRoleCommand).rejects(Object.assign(new Error('x'), { name: 'Throttling' }));

    await expect(vend({ entitlementId: 'sandbox-readonly' })).rejects.toThrow(UpstreamUnavailableError);
    expect(dynamodb.calls()).toHaveLength(0);
  });
});

describe('vendCredentials with break glass', () => {
  it('issues credentials to a member of a break-glass group on an approval entitlement', async () => {
    const result = await vend(
      { entitlementId: 'prod-admin', breakGlass: { justification: JUSTIFICATION } },
      oncall,
    );

    expect(result.session).toMatchObject({
      roleArn: PROD_ROLE,
      breakGlass: { justification: JUSTIFICATION, review: { status: 'pending' } },
    });
  });

  it('tags a break-glass session as such', async () => {
    await vend({ entitlementId: 'prod-admin', breakGlass: { justification: JUSTIFICATION } }, oncall);

    expect(sentAssumeRole()?.Tags).toContainEqual({ Key: 'hallpass:break-glass', Value: 'true' });
  });

  it('refuses break glass by a non-member without calling STS', async () => {
    await expect(
      vend({ entitlementId: 'prod-admin', breakGlass: { justification: JUSTIFICATION } }, engineer),
    ).rejects.toThrow(ForbiddenError);
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it('refuses break glass on an entitlement that has none, without calling STS', async () => {
    await expect(
      vend({ entitlementId: 'sandbox-readonly', breakGlass: { justification: JUSTIFICATION } }, oncall),
    ).rejects.toThrow(ForbiddenError);
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it("bounds the duration by break glass's own maximum, not the entitlement's", async () => {
    await expect(
      vend(
        { entitlementId: 'prod-admin', durationSeconds: 1800, breakGlass: { justification: JUSTIFICATION } },
        oncall,
      ),
    ).rejects.toThrow(InvalidRequestError);
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });

  it("accepts exactly break glass's maximum", async () => {
    await vend(
      { entitlementId: 'prod-admin', durationSeconds: 900, breakGlass: { justification: JUSTIFICATION } },
      oncall,
    );

    expect(sentAssumeRole()?.DurationSeconds).toBe(900);
  });
});

describe('planning before consuming an approval', () => {
  it('refuses a token without a claim the session tags need before any write or call, so no use is lost', async () => {
    const tagged = parseCatalog(
      catalogDocument(prodDocument({ sessionTags: { team: '${claims.team}' } })),
      CATALOG_OPTIONS,
    );
    sts.reset();
    dynamodb.reset();
    const caller = principal({ sub: 'alice', groups: ['engineers'], claims: { sub: 'alice' } });

    await expect(
      vendCredentials(
        { ...deps, catalog: tagged },
        {
          principal: caller,
          body: { entitlementId: 'prod-admin', requestId: 'rsomerequestaaaaaaaaaaa' },
          client: { sourceIp: null, userAgent: null },
        },
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect(awsCalls()).toEqual({ sts: 0, dynamodb: 0 });
  });
});

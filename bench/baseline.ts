/**
 * The inputs of the baseline (raw-function.ts): AssumeRole with the parameters hallpass would send
 * for the same caller and entitlement (built by hallpass's own planSession, outside any timing), and
 * an audit item copied from one that hallpass wrote, so that both sides send the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { findEntitlement, loadCatalog } from '../lib/catalog.ts';
import type { Principal } from '../lib/core/principal.ts';
import { type AssumeRolePlan, planSession } from '../lib/core/session-plan.ts';
import type { RawInput } from './raw-function.ts';
import { CALLER, CATALOG, ENTITLEMENT } from './stack.ts';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A session id as hallpass makes them: 16 characters of lowercase base32. */
function sessionId(): string {
  let id = '';
  for (const byte of randomBytes(16)) id += BASE32[byte & 31];
  return id;
}

/** AssumeRole's input from a plan, as lib/adapters/sts.ts builds it. */
export function assumeRoleInput(plan: AssumeRolePlan): AssumeRoleCommandInput {
  return {
    RoleArn: plan.roleArn,
    RoleSessionName: plan.roleSessionName,
    DurationSeconds: plan.durationSeconds,
    Policy: plan.policy ?? undefined,
    PolicyArns: plan.policyArns.length ? plan.policyArns.map((arn) => ({ arn })) : undefined,
    Tags: Object.entries(plan.tags).map(([Key, Value]) => ({ Key, Value })),
    TransitiveTagKeys: plan.transitiveTagKeys.length ? plan.transitiveTagKeys : undefined,
    SourceIdentity: plan.sourceIdentity,
    ExternalId: plan.externalId ?? undefined,
  };
}

/** The audit item hallpass wrote for an AccessKeyId (read back once, to copy its shape and size). */
export async function auditItem(
  client: DynamoDBClient,
  tableName: string,
  accessKeyId: string,
): Promise<Record<string, AttributeValue>> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { pk: { S: `session#${accessKeyId}` } },
      ConsistentRead: true,
    }),
  );
  if (!Item) throw new Error(`no audit item for ${accessKeyId}: the vend did not write one`);
  return Item;
}

/** Makes one baseline input per call: a new session id each time, as every vend has. */
export function rawInputs(tableName: string, item: Record<string, AttributeValue>): () => RawInput {
  const catalog = loadCatalog(CATALOG, { maxSessionSeconds: 3600 });
  const entitlement = findEntitlement(catalog, ENTITLEMENT);
  if (!entitlement) throw new Error(`${CATALOG} has no entitlement '${ENTITLEMENT}'`);
  const principal: Principal = {
    sub: CALLER.sub,
    name: CALLER.name,
    groups: CALLER.groups,
    claims: { sub: CALLER.sub, groups: CALLER.groups, name: CALLER.name },
  };
  return () => {
    const id = sessionId();
    const plan = planSession({
      entitlement,
      principal,
      sessionId: id,
      durationSeconds: entitlement.defaultDurationSeconds,
      requestId: null,
      breakGlass: false,
    });
    return { assumeRole: assumeRoleInput(plan), tableName, item: { ...item, sessionId: { S: id } } };
  };
}

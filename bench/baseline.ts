/**
 * The inputs of the baseline (raw-function.ts): AssumeRole with the parameters hallpass would send
 * for the same caller and entitlement (built by hallpass's own planSession, outside any timing), and
 * an audit item copied from one that hallpass wrote, so that both sides send the same bytes.
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { loadCatalog } from '../lib/adapters/catalog-file.ts';
import { assumeRoleInput } from '../lib/adapters/sts.ts';
import { findEntitlement } from '../lib/core/catalog.ts';
import { newSessionId } from '../lib/core/ids.ts';
import type { Principal } from '../lib/core/principal.ts';
import { planSession } from '../lib/core/session-plan.ts';
import type { RawInput } from './raw-function.ts';
import { CALLER, CATALOG, ENTITLEMENT } from './stack.ts';

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
    const id = newSessionId();
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

/**
 * The Slack table (hash key `pk`, TTL `ttl`), single-item conditional writes only:
 *   code#<sha256 of a link code>   a one-time link code: the Slack user who asked for it, until when
 *   user#<team>#<user>             which principal a Slack user linked to
 *   principal#<sub>                that principal's links, and their groups as their last token said
 *   message#<request id>           where a request's message is (channel, ts), to update it
 *   seen#<sha256 of a signature>   a signed Slack request already processed (replays are ignored)
 *   sent#<key>                     a message already posted (a redelivered record posts it once)
 * No code, secret or token is stored: codes only as hashes. Nothing is ever deleted (no hallpass
 * function may delete an item): a used code is marked used, a removed link loses its principal.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { toApiTime } from '../core/time.ts';
import { fromItem, toAttribute, toItem } from './dynamo-item.ts';
import { tableCalls } from './table-call.ts';

export interface SlackTable {
  client: DynamoDBClient;
  tableName: string;
}

export interface LinkCode {
  teamId: string;
  userId: string;
  expiresAtMs: number;
}

export interface SlackLink {
  teamId: string;
  userId: string;
  linkedAt: string;
}

export interface LinkedPrincipal {
  sub: string;
  name: string;
  issuer: string | null;
  groups: string[];
  groupsAt: string;
  groupsAtMs: number;
  links: Record<string, SlackLink>;
  version: number;
}

const ttlOf = (ms: number) => Math.floor(ms / 1000);

const send = tableCalls('the Slack table');

/** Runs a conditional write; false when its condition failed. */
async function conditional(what: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await send(what, call);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

async function getItem(t: SlackTable, pk: string): Promise<Record<string, unknown> | undefined> {
  const out = await send('read', () =>
    t.client.send(
      new GetItemCommand({ TableName: t.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    ),
  );
  return out.Item ? (fromItem(out.Item) as Record<string, unknown>) : undefined;
}

export async function putLinkCode(t: SlackTable, key: string, code: LinkCode, now: Date): Promise<boolean> {
  return conditional('store a link code', () =>
    t.client.send(
      new PutItemCommand({
        TableName: t.tableName,
        Item: toItem({
          pk: `code#${key}`,
          ...code,
          createdAt: now.toISOString(),
          ttl: ttlOf(code.expiresAtMs),
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

/** A link code that is still valid, without using it up. */
export async function peekLinkCode(t: SlackTable, key: string, now: Date): Promise<LinkCode | undefined> {
  const item = await getItem(t, `code#${key}`);
  if (!item || item.usedAtMs !== undefined || Number(item.expiresAtMs) <= now.getTime()) return undefined;
  return { teamId: String(item.teamId), userId: String(item.userId), expiresAtMs: Number(item.expiresAtMs) };
}

/** Uses a link code up: true for exactly one caller, and only while it is valid. */
export async function takeLinkCode(t: SlackTable, key: string, now: Date): Promise<boolean> {
  return conditional('use a link code', () =>
    t.client.send(
      new UpdateItemCommand({
        TableName: t.tableName,
        Key: { pk: { S: `code#${key}` } },
        UpdateExpression: 'SET usedAtMs = :now',
        ConditionExpression: 'attribute_exists(pk) AND expiresAtMs > :now AND attribute_not_exists(usedAtMs)',
        ExpressionAttributeValues: { ':now': { N: String(now.getTime()) } },
      }),
    ),
  );
}

export async function getSlackUser(
  t: SlackTable,
  teamId: string,
  userId: string,
): Promise<{ sub: string; linkedAt: string } | undefined> {
  const item = await getItem(t, `user#${teamId}#${userId}`);
  return typeof item?.sub === 'string' ? { sub: item.sub, linkedAt: String(item.linkedAt) } : undefined;
}

/** Records who a Slack user is; false if they are linked to another principal already. */
export async function putSlackUser(t: SlackTable, link: SlackLink, sub: string): Promise<boolean> {
  return conditional('store a link', () =>
    t.client.send(
      new PutItemCommand({
        TableName: t.tableName,
        Item: toItem({ pk: `user#${link.teamId}#${link.userId}`, sub, linkedAt: link.linkedAt }),
        ConditionExpression: 'attribute_not_exists(#sub) OR #sub = :sub',
        ExpressionAttributeNames: { '#sub': 'sub' },
        ExpressionAttributeValues: { ':sub': { S: sub } },
      }),
    ),
  );
}

/** Removes a Slack user's link, if it is still to `sub`: the item keeps only when it was unlinked. */
export async function deleteSlackUser(
  t: SlackTable,
  teamId: string,
  userId: string,
  sub: string,
  now: Date,
): Promise<void> {
  await conditional('remove a link', () =>
    t.client.send(
      new UpdateItemCommand({
        TableName: t.tableName,
        Key: { pk: { S: `user#${teamId}#${userId}` } },
        UpdateExpression: 'REMOVE #sub, linkedAt SET unlinkedAt = :at',
        ConditionExpression: '#sub = :sub',
        ExpressionAttributeNames: { '#sub': 'sub' },
        ExpressionAttributeValues: { ':sub': { S: sub }, ':at': { S: now.toISOString() } },
      }),
    ),
  );
}

export async function getLinkedPrincipal(t: SlackTable, sub: string): Promise<LinkedPrincipal | undefined> {
  const item = await getItem(t, `principal#${sub}`);
  if (!item) return undefined;
  return {
    sub: String(item.sub),
    name: String(item.name ?? item.sub),
    issuer: typeof item.issuer === 'string' ? item.issuer : null,
    groups: Array.isArray(item.groups) ? item.groups.map(String) : [],
    groupsAt: String(item.groupsAt),
    groupsAtMs: Number(item.groupsAtMs),
    links: (item.links ?? {}) as Record<string, SlackLink>,
    version: Number(item.version ?? 0),
  };
}

/**
 * Writes a principal's item if nobody wrote it since `expectedVersion` was read (0: it must not
 * exist). False when someone wrote in between.
 */
export async function replaceLinkedPrincipal(
  t: SlackTable,
  next: Omit<LinkedPrincipal, 'version'>,
  expectedVersion: number,
  groupsHash: string,
): Promise<boolean> {
  const condition =
    expectedVersion === 0
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': { N: String(expectedVersion) } },
        };
  return conditional('store a principal', () =>
    t.client.send(
      new PutItemCommand({
        TableName: t.tableName,
        Item: toItem({ pk: `principal#${next.sub}`, ...next, groupsHash, version: expectedVersion + 1 }),
        ...condition,
      }),
    ),
  );
}

/**
 * Records the groups of a principal's token issued at `seenAt`, if the principal has a Slack link,
 * the token is not older than the one recorded, and the groups changed or the recorded ones are more
 * than `throttleMs` older: one conditional write, which fails (cheaply, and is ignored) for everyone
 * else. It bumps `version`, so a read-modify-write of the links begun before it cannot bring the old
 * groups back. Returns whether it wrote.
 */
export async function refreshLinkedGroups(
  t: SlackTable,
  p: { sub: string; name: string; groups: string[]; issuer: string | null },
  hash: string,
  seenAt: Date,
  throttleMs: number,
): Promise<boolean> {
  return conditional('refresh groups', () =>
    t.client.send(
      new UpdateItemCommand({
        TableName: t.tableName,
        Key: { pk: { S: `principal#${p.sub}` } },
        UpdateExpression:
          'SET groups = :g, groupsHash = :h, groupsAt = :at, groupsAtMs = :ms, #name = :name ADD version :one',
        ConditionExpression:
          'attribute_exists(pk) AND groupsAtMs <= :ms AND (groupsHash <> :h OR groupsAtMs < :stale OR #name <> :name)',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':g': toAttribute(p.groups),
          ':h': { S: hash },
          ':at': { S: toApiTime(seenAt) },
          ':ms': { N: String(seenAt.getTime()) },
          ':stale': { N: String(seenAt.getTime() - throttleMs) },
          ':name': { S: p.name },
          ':one': { N: '1' },
        },
      }),
    ),
  );
}

export async function getMessage(
  t: SlackTable,
  requestId: string,
): Promise<{ channel: string; ts: string } | undefined> {
  const item = await getItem(t, `message#${requestId}`);
  return item ? { channel: String(item.channel), ts: String(item.ts) } : undefined;
}

export async function putMessage(
  t: SlackTable,
  requestId: string,
  message: { channel: string; ts: string },
  expiresAtMs: number,
): Promise<void> {
  await send('store a message', () =>
    t.client.send(
      new PutItemCommand({
        TableName: t.tableName,
        Item: toItem({ pk: `message#${requestId}`, ...message, ttl: ttlOf(expiresAtMs) }),
      }),
    ),
  );
}

/** Marks a signed request as processed: true the first time only. */
export async function markSeen(t: SlackTable, key: string, expiresAtMs: number, now: Date): Promise<boolean> {
  return conditional('mark a request', () =>
    t.client.send(
      new PutItemCommand({
        TableName: t.tableName,
        Item: toItem({ pk: `seen#${key}`, expiresAtMs, ttl: ttlOf(expiresAtMs) }),
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now',
        ExpressionAttributeValues: { ':now': { N: String(now.getTime()) } },
      }),
    ),
  );
}

export async function wasSent(t: SlackTable, key: string): Promise<boolean> {
  return (await getItem(t, `sent#${key}`)) !== undefined;
}

export async function markSent(t: SlackTable, key: string, expiresAtMs: number): Promise<void> {
  await send('mark a message', () =>
    t.client.send(
      new PutItemCommand({
        TableName: t.tableName,
        Item: toItem({ pk: `sent#${key}`, ttl: ttlOf(expiresAtMs) }),
      }),
    ),
  );
}

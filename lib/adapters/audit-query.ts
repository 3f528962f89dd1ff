/**
 * Reads of the audit table, always by key or by index (never a Scan). This module owns how a question
 * is answered: which index serves a filter, which partitions to walk (newest first, within an
 * issuedAt range, the remaining filters applied by DynamoDB), where a page ends, and how a stored
 * item becomes a Session or an event. Callers pass and get domain values, and an opaque position to
 * resume from.
 */
import { type AttributeValue, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { AuditEvent } from '../audit-events.ts';
import type { WorkflowEvent } from '../core/ocsf.ts';
import type { BreakGlassRecord, PersonRef, Session } from '../core/session.ts';
import { UpstreamUnavailableError } from '../errors.ts';
import { type AuditTable, sessionKey } from './audit-table.ts';
import { fromItem } from './dynamo-item.ts';

type AuditIndex =
  | 'byPrincipal'
  | 'byEntitlement'
  | 'byRole'
  | 'byRequest'
  | 'byBreakGlass'
  | 'byDay'
  | 'bySessionId';

/** The partition attribute of each index (all sort on issuedAt, except bySessionId). */
const INDEX_HASH: Record<AuditIndex, string> = {
  byPrincipal: 'principalSub',
  byEntitlement: 'entitlementId',
  byRole: 'roleArn',
  byRequest: 'requestId',
  byBreakGlass: 'breakGlass',
  byDay: 'issuedDay',
  bySessionId: 'sessionId',
};

interface PartitionQuery {
  index: AuditIndex;
  hash: string;
  /** issuedAt bounds, inclusive, as API times. */
  from?: string;
  to?: string;
  /** Equality filters on top-level string attributes; `null` means the attribute must be absent. */
  filters: Record<string, string | null>;
  /** Items whose `ttl` (epoch seconds) is at or before this are past retention: hidden. */
  notExpiredAfter: number;
}

type StoredItem = Record<string, unknown>;
type ItemKey = Record<string, string>;

async function send<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new UpstreamUnavailableError(
      'dynamodb',
      `the audit table could not be read (${(error as Error).name})`,
      {
        cause: error,
        retryAfterSeconds: 1,
      },
    );
  }
}

/** The key of an item in an index, for resuming just after it. */
function keyOf(item: StoredItem, index: AuditIndex): ItemKey {
  const key: ItemKey = { pk: String(item.pk), [INDEX_HASH[index]]: String(item[INDEX_HASH[index]]) };
  if (index !== 'bySessionId') key.issuedAt = String(item.issuedAt);
  return key;
}

/** One page of one partition. */
async function queryPartition(
  { client, tableName }: AuditTable,
  q: PartitionQuery,
  startKey: ItemKey | undefined,
  limit: number,
): Promise<{ items: StoredItem[]; next: ItemKey | undefined }> {
  const names: Record<string, string> = { '#h': INDEX_HASH[q.index], '#ttl': 'ttl' };
  const values: Record<string, AttributeValue> = {
    ':h': { S: q.hash },
    ':retained': { N: String(q.notExpiredAfter) },
  };
  let keyCondition = '#h = :h';
  if (q.from !== undefined || q.to !== undefined) {
    names['#at'] = 'issuedAt';
    if (q.from !== undefined) values[':from'] = { S: q.from };
    if (q.to !== undefined) values[':to'] = { S: q.to };
    keyCondition +=
      q.from !== undefined && q.to !== undefined
        ? ' AND #at BETWEEN :from AND :to'
        : q.from !== undefined
          ? ' AND #at >= :from'
          : ' AND #at <= :to';
  }
  const filters = ['#ttl > :retained'];
  Object.entries(q.filters).forEach(([attribute, value], i) => {
    names[`#f${i}`] = attribute;
    if (value === null) filters.push(`attribute_not_exists(#f${i})`);
    else {
      values[`:f${i}`] = { S: value };
      filters.push(`#f${i} = :f${i}`);
    }
  });
  const { Items, LastEvaluatedKey } = await send(() =>
    client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: q.index,
        KeyConditionExpression: keyCondition,
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey
          ? Object.fromEntries(Object.entries(startKey).map(([k, v]) => [k, { S: v }]))
          : undefined,
      }),
    ),
  );
  const next = LastEvaluatedKey
    ? Object.fromEntries(Object.entries(LastEvaluatedKey).map(([k, v]) => [k, v.S ?? '']))
    : undefined;
  return { items: (Items ?? []).map(fromItem), next };
}

/** The session record of an AccessKeyId (the table's own key), or undefined. */
async function getSessionItem(
  { client, tableName }: AuditTable,
  accessKeyId: string,
): Promise<StoredItem | undefined> {
  const { Item } = await send(() =>
    client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: sessionKey(accessKeyId) } } })),
  );
  return Item ? fromItem(Item) : undefined;
}

/**
 * The Session of a stored session item. A break-glass review is kept in its own top-level attribute
 * (`review`), the only one the review route may write, and shown inside `breakGlass` here.
 */
function sessionOf(item: StoredItem): Session {
  // Records written before issuance modes existed were all AssumeRole sessions.
  const record = { ...(item.record as Session) };
  record.issuance ??= 'assume-role';
  // The revocation, like the review, lives in its own attribute (the only one the revoke role writes).
  record.revocation = (item.revocation as Session['revocation']) ?? null;
  const review = item.review as BreakGlassRecord['review'] | undefined;
  if (!review || !record.breakGlass) return record;
  return { ...record, breakGlass: { ...record.breakGlass, review } };
}

/**
 * Where a listing stopped: the partition it was walking and the last item's key there (null: from
 * the partition's start). Opaque.
 */
export interface AuditPosition {
  p: number;
  k: ItemKey | null;
}

/** The position as text, to carry in a cursor; and back (undefined when it is not one). */
export const encodePosition = (position: AuditPosition): string => JSON.stringify(position);

export function decodePosition(text: string): AuditPosition | undefined {
  try {
    const position = JSON.parse(text) as AuditPosition;
    const key = position.k;
    if (Number.isInteger(position.p) && position.p >= 0 && typeof key === 'object' && !Array.isArray(key))
      return position;
  } catch {}
  return undefined;
}

export interface AuditPage<T> {
  items: T[];
  /** Where the next page starts; undefined on the last page. */
  next: AuditPosition | undefined;
}

/** Filters on sessions; times are API times bounding issuedAt, inclusive. */
export interface SessionFilter {
  principal?: string | undefined;
  entitlementId?: string | undefined;
  roleArn?: string | undefined;
  accessKeyId?: string | undefined;
  requestId?: string | undefined;
  breakGlass?: boolean | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** One record of a request's or a person's story (GET /v1/events): the core's workflow event. */
export type AuditEventView = WorkflowEvent;

interface Listing {
  start: AuditPosition | undefined;
  limit: number;
  now: Date;
}

const DAY_MS = 86400_000;
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Days from `to` back to `from`, newest first, within the retention window: records outside it are
 * gone or going, so a range reaching past it (`from=1990-01-01`, `to=9999-12-31`) walks no more days
 * than the window holds.
 */
function days(table: AuditTable, from: string | undefined, to: string | undefined, now: Date): string[] {
  const retainedFrom = now.getTime() - table.retentionDays * DAY_MS;
  const end = Math.min(to ? Date.parse(to) : now.getTime(), now.getTime());
  const start = Math.max(from ? Date.parse(from) : retainedFrom, retainedFrom);
  const out: string[] = [];
  for (let t = end; t >= start - DAY_MS; t -= DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day < new Date(start).toISOString().slice(0, 10)) break;
    out.push(day);
  }
  return out;
}

/**
 * The most partitions one page walks (more than the default retention's 401 days): a page that
 * reaches it ends there, with a position to continue from, however few items it found.
 */
export const MAX_PARTITIONS_PER_PAGE = 500;

/** Up to `limit` items from `start` on, over the partitions in order, and where the next page starts. */
async function collect(
  table: AuditTable,
  partitions: PartitionQuery[],
  { start, limit }: Listing,
): Promise<AuditPage<StoredItem>> {
  const items: Array<{ item: StoredItem; p: number }> = [];
  let p = start?.p ?? 0;
  let key = start?.k ?? undefined;
  const stop = p + MAX_PARTITIONS_PER_PAGE;
  while (p < partitions.length) {
    if (p === stop) return { items: items.map((i) => i.item), next: { p, k: null } };
    const partition = partitions[p] as PartitionQuery;
    const page = await queryPartition(
      table,
      partition,
      key,
      Math.min(1000, 2 * (limit + 1 - items.length) + 10),
    );
    for (const item of page.items) {
      if (items.length === limit) {
        const last = items[limit - 1] as { item: StoredItem; p: number };
        const index = (partitions[last.p] as PartitionQuery).index;
        return { items: items.map((i) => i.item), next: { p: last.p, k: keyOf(last.item, index) } };
      }
      items.push({ item, p });
    }
    if (page.next) key = page.next;
    else {
      p += 1;
      key = undefined;
    }
  }
  return { items: items.map((i) => i.item), next: undefined };
}

/** Whether a session matches every filter (for the AccessKeyId lookup, which uses no index). */
function matches(s: Session, f: SessionFilter): boolean {
  return (
    (f.principal === undefined || s.principal.sub === f.principal) &&
    (f.entitlementId === undefined || s.entitlementId === f.entitlementId) &&
    (f.roleArn === undefined || s.roleArn === f.roleArn) &&
    (f.requestId === undefined || s.requestId === f.requestId) &&
    (f.breakGlass === undefined || (s.breakGlass !== null) === f.breakGlass) &&
    (f.from === undefined || s.issuedAt >= f.from) &&
    (f.to === undefined || s.issuedAt <= f.to)
  );
}

/**
 * Sessions matching the filter, newest first, past retention hidden. AccessKeyId is the table's key;
 * then request, principal, role, entitlement and break glass each have an index; a filter with only a
 * time range walks the per-day index. Every other filter is applied by DynamoDB on that index's
 * partition.
 */
export async function findSessions(
  table: AuditTable,
  filter: SessionFilter,
  listing: Listing,
): Promise<AuditPage<Session>> {
  const retainedAfter = epochSeconds(listing.now);
  if (filter.accessKeyId !== undefined) {
    // One item at most: there is no next page, so no position to resume from either.
    const item = await getSessionItem(table, filter.accessKeyId);
    const s = item ? sessionOf(item) : undefined;
    const found =
      item !== undefined && s !== undefined && Number(item.ttl) > retainedAfter && matches(s, filter);
    return { items: found && !listing.start ? [s] : [], next: undefined };
  }
  const { from, to } = filter;
  const candidates: Array<[AuditIndex, string, string | undefined]> = [
    ['byRequest', 'requestId', filter.requestId],
    ['byPrincipal', 'principalSub', filter.principal],
    ['byRole', 'roleArn', filter.roleArn],
    ['byEntitlement', 'entitlementId', filter.entitlementId],
    ['byBreakGlass', 'breakGlass', filter.breakGlass === true ? 'true' : undefined],
  ];
  const chosen = candidates.find(([, , value]) => value !== undefined);
  const filters: Record<string, string | null> = { kind: 'session' };
  for (const [, attribute, value] of candidates) {
    if (value !== undefined && attribute !== chosen?.[1]) filters[attribute] = value;
  }
  if (filter.breakGlass === false) filters.breakGlass = null;
  const base = { from, to, filters, notExpiredAfter: retainedAfter };
  const partitions: PartitionQuery[] = chosen
    ? [{ ...base, index: chosen[0], hash: chosen[2] as string }]
    : days(table, from, to, listing.now).map((day) => ({ ...base, index: 'byDay' as const, hash: day }));
  const { items, next } = await collect(table, partitions, listing);
  return { items: items.map(sessionOf), next };
}

/** The session of a session id (its key is the AccessKeyId), or undefined (also past retention). */
export async function findSessionById(
  table: AuditTable,
  id: string,
  now: Date,
): Promise<Session | undefined> {
  const partition: PartitionQuery = {
    index: 'bySessionId',
    hash: id,
    filters: { kind: 'session' },
    notExpiredAfter: epochSeconds(now),
  };
  const { items } = await queryPartition(table, partition, undefined, 10);
  return items[0] ? sessionOf(items[0]) : undefined;
}

/** A stored record as an event of the story: workflow events, and issuances as credentials.issued. */
function eventOf(item: StoredItem): AuditEventView {
  if (item.kind === 'session') {
    const s = sessionOf(item);
    return {
      id: s.id,
      event: AuditEvent.credentialsIssued,
      at: s.issuedAt,
      actor: { sub: s.principal.sub, name: s.principal.name },
      principal: s.principal.sub,
      requestId: s.requestId,
      entitlementId: s.entitlementId,
      details: {
        sessionId: s.id,
        accessKeyId: s.accessKeyId,
        roleArn: s.roleArn,
        expiresAt: s.expiresAt,
        breakGlass: s.breakGlass !== null,
      },
    };
  }
  return {
    id: String(item.pk).replace(/^event#/, ''),
    event: String(item.event),
    at: String(item.issuedAt),
    actor: item.actor as PersonRef,
    principal: String(item.principalSub),
    requestId: (item.requestId as string | undefined) ?? null,
    entitlementId: String(item.entitlementId),
    details: (item.details as Record<string, unknown>) ?? {},
  };
}

/**
 * The story of a request (by the request index, optionally one principal's part of it), of a person
 * (by the principal index), or of everyone (by day, over the retention period); newest first.
 */
export async function findEvents(
  table: AuditTable,
  filter: { requestId?: string | undefined; principal?: string | undefined },
  listing: Listing,
): Promise<AuditPage<AuditEventView>> {
  const base = { filters: {} as Record<string, string | null>, notExpiredAfter: epochSeconds(listing.now) };
  let partitions: PartitionQuery[];
  if (filter.requestId !== undefined) {
    if (filter.principal !== undefined) base.filters.principalSub = filter.principal;
    partitions = [{ ...base, index: 'byRequest', hash: filter.requestId }];
  } else if (filter.principal !== undefined) {
    partitions = [{ ...base, index: 'byPrincipal', hash: filter.principal }];
  } else {
    partitions = days(table, undefined, undefined, listing.now).map((day) => ({
      ...base,
      index: 'byDay' as const,
      hash: day,
    }));
  }
  const { items, next } = await collect(table, partitions, listing);
  return { items: items.map(eventOf), next };
}

/** Break-glass sessions issued at or before `issuedBefore` that have no review yet, page by page. */
export async function* findUnreviewedBreakGlass(
  table: AuditTable,
  issuedBefore: string,
  now: Date,
): AsyncGenerator<Session> {
  const partition: PartitionQuery = {
    index: 'byBreakGlass',
    hash: 'true',
    to: issuedBefore,
    filters: { kind: 'session', review: null },
    notExpiredAfter: epochSeconds(now),
  };
  let key: ItemKey | undefined;
  do {
    const page = await queryPartition(table, partition, key, 100);
    for (const item of page.items) yield sessionOf(item);
    key = page.next;
  } while (key);
}

/**
 * Every record of one day's partition issued at or after `since`, as stored (the shape of the
 * table's stream images), page by page. Local mode's notifier polls with it: dynalite has no streams.
 */
export async function* recordsOfDaySince(
  table: AuditTable,
  day: string,
  since: string,
): AsyncGenerator<Record<string, unknown>> {
  const partition: PartitionQuery = {
    index: 'byDay',
    hash: day,
    from: since,
    filters: {},
    notExpiredAfter: 0,
  };
  let key: ItemKey | undefined;
  do {
    const page = await queryPartition(table, partition, key, 100);
    yield* page.items;
    key = page.next;
  } while (key);
}

/**
 * When a principal's break-glass sessions since `since` were issued (the principal index, one
 * partition). An index read is eventually consistent: a burst of concurrent calls may see one fewer.
 */
export async function breakGlassIssuedSince(
  table: AuditTable,
  principal: string,
  since: string,
  now: Date,
): Promise<string[]> {
  const partition: PartitionQuery = {
    index: 'byPrincipal',
    hash: principal,
    from: since,
    filters: { kind: 'session', breakGlass: 'true' },
    notExpiredAfter: epochSeconds(now),
  };
  const times: string[] = [];
  let key: ItemKey | undefined;
  do {
    const page = await queryPartition(table, partition, key, 100);
    times.push(...page.items.map((item) => String(item.issuedAt)));
    key = page.next;
  } while (key);
  return times;
}

/** Filters on workflow events (the attributes they carry); times bound `at`, inclusive. */
export interface WorkflowEventFilter {
  principal?: string | undefined;
  entitlementId?: string | undefined;
  requestId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * Workflow events (request.*, session.reviewed, break-glass.reminder; never the sessions themselves)
 * matching the filter, newest first, past retention hidden: by the request, principal or
 * entitlement index, else by day; the other filters applied by DynamoDB on that partition. For the
 * SIEM export, which lists sessions and these events under one cursor.
 */
export async function findWorkflowEvents(
  table: AuditTable,
  filter: WorkflowEventFilter,
  listing: Listing,
): Promise<AuditPage<AuditEventView>> {
  const { from, to } = filter;
  const candidates: Array<[AuditIndex, string, string | undefined]> = [
    ['byRequest', 'requestId', filter.requestId],
    ['byPrincipal', 'principalSub', filter.principal],
    ['byEntitlement', 'entitlementId', filter.entitlementId],
  ];
  const chosen = candidates.find(([, , value]) => value !== undefined);
  const filters: Record<string, string | null> = { kind: 'event' };
  for (const [, attribute, value] of candidates) {
    if (value !== undefined && attribute !== chosen?.[1]) filters[attribute] = value;
  }
  const base = { from, to, filters, notExpiredAfter: epochSeconds(listing.now) };
  const partitions: PartitionQuery[] = chosen
    ? [{ ...base, index: chosen[0], hash: chosen[2] as string }]
    : days(table, from, to, listing.now).map((day) => ({ ...base, index: 'byDay' as const, hash: day }));
  const { items, next } = await collect(table, partitions, listing);
  return { items: items.map(eventOf), next };
}

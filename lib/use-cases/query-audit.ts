import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type AuditIndex,
  getSessionItem,
  type ItemKey,
  keyOf,
  type PartitionQuery,
  queryPartition,
  type StoredItem,
  sessionOf,
} from '../adapters/audit-query.ts';
import type { AuditTable } from '../adapters/audit-table.ts';
import { type Catalog, isAuditor } from '../catalog.ts';
import { type CursorPayload, decodeCursor, encodeCursor, invalidCursor } from '../core/cursor.ts';
import type { Principal } from '../core/principal.ts';
import { type Session, toApiTime } from '../core/session.ts';
import { InvalidRequestError, NotFoundError } from '../errors.ts';
import type { EventsQuery, SessionsQuery } from '../schemas.ts';

export interface QueryDeps {
  catalog: Catalog;
  dynamodb: DynamoDBClient;
  audit: AuditTable;
  now: () => Date;
}

/** Where a query reads: partitions of one index, newest first, with the same filters. */
interface Plan {
  partitions: PartitionQuery[];
}

interface Position {
  p: number;
  k: ItemKey;
}

const DAY_MS = 86400_000;

function bounds(query: { from?: string; to?: string }, deps: QueryDeps) {
  const from = query.from === undefined ? undefined : toApiTime(new Date(query.from));
  const to = query.to === undefined ? undefined : toApiTime(new Date(query.to));
  if (from !== undefined && to !== undefined && from > to) {
    throw new InvalidRequestError('from is after to', [{ path: 'from', message: 'must not be after to' }]);
  }
  return { from, to, retainedAfter: Math.floor(deps.now().getTime() / 1000) };
}

/** Days from `to` (default now) back to `from` (default the retention period), newest first. */
function days(from: string | undefined, to: string | undefined, deps: QueryDeps): string[] {
  const end = to ? Date.parse(to) : deps.now().getTime();
  const start = from ? Date.parse(from) : deps.now().getTime() - deps.audit.retentionDays * DAY_MS;
  const out: string[] = [];
  for (let t = end; t >= start - DAY_MS; t -= DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day < new Date(start).toISOString().slice(0, 10)) break;
    out.push(day);
  }
  return out;
}

/**
 * The index that answers a session query: AccessKeyId is the table's key; then request, principal,
 * role, entitlement and break glass each have an index; a query with only a time range walks the
 * per-day index. Every other filter is applied by DynamoDB on that index's partition.
 */
function planSessions(q: SessionsQuery, principalFilter: string | undefined, deps: QueryDeps): Plan {
  const { from, to, retainedAfter } = bounds(q, deps);
  const candidates: Array<[AuditIndex, string, string | undefined]> = [
    ['byRequest', 'requestId', q.requestId],
    ['byPrincipal', 'principalSub', principalFilter],
    ['byRole', 'roleArn', q.roleArn],
    ['byEntitlement', 'entitlementId', q.entitlementId],
    ['byBreakGlass', 'breakGlass', q.breakGlass === 'true' ? 'true' : undefined],
  ];
  const chosen = candidates.find(([, , value]) => value !== undefined);
  const filters: Record<string, string | null> = { kind: 'session' };
  for (const [, attribute, value] of candidates) {
    if (value !== undefined && attribute !== chosen?.[1]) filters[attribute] = value;
  }
  if (q.breakGlass === 'false') filters.breakGlass = null;
  const base = { from, to, filters, notExpiredAfter: retainedAfter };
  if (chosen) return { partitions: [{ ...base, index: chosen[0], hash: chosen[2] as string }] };
  return { partitions: days(from, to, deps).map((day) => ({ ...base, index: 'byDay' as const, hash: day })) };
}

/** Up to `limit` items from `start` on, and the position after the last one if more exist. */
async function collect(
  deps: QueryDeps,
  plan: Plan,
  start: Position | undefined,
  limit: number,
): Promise<{ items: StoredItem[]; next: Position | undefined }> {
  const items: Array<{ item: StoredItem; p: number }> = [];
  let p = start?.p ?? 0;
  let key = start?.k;
  while (p < plan.partitions.length) {
    const partition = plan.partitions[p] as PartitionQuery;
    const page = await queryPartition(
      deps.dynamodb,
      deps.audit.tableName,
      partition,
      key,
      Math.min(1000, 2 * (limit + 1 - items.length) + 10),
    );
    for (const item of page.items) {
      if (items.length === limit) {
        const last = items[limit - 1] as { item: StoredItem; p: number };
        const index = (plan.partitions[last.p] as PartitionQuery).index;
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

function readCursor(cursor: string | undefined, key: Buffer, binding: CursorPayload): Position | undefined {
  if (!cursor) return undefined;
  const payload = decodeCursor(cursor, key, binding);
  try {
    const position = JSON.parse(String(payload.position)) as Position;
    if (Number.isInteger(position.p) && position.k && typeof position.k === 'object') return position;
  } catch {}
  throw invalidCursor();
}

const writeCursor = (next: Position | undefined, key: Buffer, binding: CursorPayload) =>
  next ? encodeCursor({ ...binding, position: JSON.stringify(next) }, key) : null;

/** The filters a cursor is bound to: the same query, by the same caller. */
function bindingOf(query: Record<string, unknown>, principal: Principal): CursorPayload {
  const binding: CursorPayload = { caller: principal.sub };
  for (const [name, value] of Object.entries(query)) {
    if (name !== 'cursor' && name !== 'limit' && name !== 'format')
      binding[`q.${name}`] = value === undefined ? null : String(value);
  }
  return binding;
}

/**
 * Who sees what, for both audit queries: auditors see every record, anyone else only their own,
 * and a filter on another principal sees nothing (null), rather than an error confirming they exist.
 * Also checks the cursor against the query and the caller.
 */
function scopeOf(
  deps: QueryDeps,
  principal: Principal,
  query: { principal?: string | undefined; cursor?: string | undefined },
  cursorKey: Buffer,
): { binding: CursorPayload; start: Position | undefined; principalFilter: string | undefined } | null {
  const auditor = isAuditor(deps.catalog, principal);
  const binding = bindingOf(query, principal);
  const start = readCursor(query.cursor, cursorKey, binding);
  if (!auditor && query.principal !== undefined && query.principal !== principal.sub) return null;
  return { binding, start, principalFilter: auditor ? query.principal : principal.sub };
}

export interface SessionsPage {
  items: Session[];
  nextCursor: string | null;
}

/**
 * Audit query over issued sessions, newest first. Auditors see every session; anyone else only
 * their own (a filter on another principal returns nothing, not an error that confirms they exist).
 * Records past retention are hidden even before DynamoDB's TTL deletes them.
 */
export async function querySessions(
  deps: QueryDeps,
  principal: Principal,
  query: SessionsQuery,
  cursorKey: Buffer,
  limit = query.limit,
): Promise<SessionsPage> {
  const scope = scopeOf(deps, principal, query, cursorKey);
  if (!scope) return { items: [], nextCursor: null };
  const { binding, start, principalFilter } = scope;

  if (query.accessKeyId !== undefined) {
    const { from, to, retainedAfter } = bounds(query, deps);
    const item = await getSessionItem(deps.dynamodb, deps.audit.tableName, query.accessKeyId);
    const s = item ? sessionOf(item) : undefined;
    const matches =
      item !== undefined &&
      s !== undefined &&
      Number(item.ttl) > retainedAfter &&
      (principalFilter === undefined || s.principal.sub === principalFilter) &&
      (query.entitlementId === undefined || s.entitlementId === query.entitlementId) &&
      (query.roleArn === undefined || s.roleArn === query.roleArn) &&
      (query.requestId === undefined || s.requestId === query.requestId) &&
      (query.breakGlass === undefined || (s.breakGlass !== null) === (query.breakGlass === 'true')) &&
      (from === undefined || s.issuedAt >= from) &&
      (to === undefined || s.issuedAt <= to);
    return { items: matches && !start ? [s] : [], nextCursor: null };
  }

  const { items, next } = await collect(deps, planSessions(query, principalFilter, deps), start, limit);
  return {
    items: items.map(sessionOf),
    nextCursor: writeCursor(next, cursorKey, binding),
  };
}

/** The stored item of a session id (its key is the AccessKeyId), or undefined. */
export async function findSessionItem(deps: QueryDeps, id: string): Promise<StoredItem | undefined> {
  const plan: PartitionQuery = {
    index: 'bySessionId',
    hash: id,
    filters: { kind: 'session' },
    notExpiredAfter: Math.floor(deps.now().getTime() / 1000),
  };
  const { items } = await queryPartition(deps.dynamodb, deps.audit.tableName, plan, undefined, 10);
  return items[0];
}

/** One session, for auditors and for its principal; 404 otherwise (and past retention). */
export async function getSession(deps: QueryDeps, principal: Principal, id: string): Promise<Session> {
  const item = await findSessionItem(deps, id);
  const session = item ? sessionOf(item) : undefined;
  if (!session || (!isAuditor(deps.catalog, principal) && session.principal.sub !== principal.sub)) {
    throw new NotFoundError(`session '${id}' was not found`);
  }
  return session;
}

/** A stored record as an event of the story: workflow events, and issuances as credentials.issued. */
function toEvent(item: StoredItem) {
  if (item.kind === 'session') {
    const s = sessionOf(item);
    return {
      id: s.id,
      event: 'credentials.issued',
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
    actor: item.actor as { sub: string; name: string },
    principal: String(item.principalSub),
    requestId: (item.requestId as string | undefined) ?? null,
    entitlementId: String(item.entitlementId),
    details: (item.details as Record<string, unknown>) ?? {},
  };
}

/**
 * The story of a request or a person: request.created, approvals, denials, cancellation, expiry and
 * each credentials.issued, newest first. Same visibility as sessions.
 */
export async function queryEvents(
  deps: QueryDeps,
  principal: Principal,
  query: EventsQuery,
  cursorKey: Buffer,
) {
  const scope = scopeOf(deps, principal, query, cursorKey);
  if (!scope) return { items: [], nextCursor: null };
  const { binding, start, principalFilter } = scope;
  const { retainedAfter } = bounds({}, deps);
  const base = { filters: {} as Record<string, string | null>, notExpiredAfter: retainedAfter };
  let plan: Plan;
  if (query.requestId !== undefined) {
    if (principalFilter !== undefined) base.filters.principalSub = principalFilter;
    plan = { partitions: [{ ...base, index: 'byRequest', hash: query.requestId }] };
  } else if (principalFilter !== undefined) {
    plan = { partitions: [{ ...base, index: 'byPrincipal', hash: principalFilter }] };
  } else {
    plan = {
      partitions: days(undefined, undefined, deps).map((day) => ({
        ...base,
        index: 'byDay' as const,
        hash: day,
      })),
    };
  }
  const { items, next } = await collect(deps, plan, start, query.limit);
  return { items: items.map(toEvent), nextCursor: writeCursor(next, cursorKey, binding) };
}

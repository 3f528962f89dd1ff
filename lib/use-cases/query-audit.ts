/**
 * Audit queries over issued sessions and the story of requests and people. This use case decides who
 * sees what (auditors everything, anyone else their own) and binds cursors to the query and the
 * caller; the audit-query adapter decides how the table answers (indexes, partitions, pages).
 */
import {
  type AuditEventView,
  type AuditPosition,
  decodePosition,
  encodePosition,
  findEvents,
  findSessionById,
  findSessions,
  findWorkflowEvents,
} from '../adapters/audit-query.ts';
import type { AuditTable } from '../adapters/audit-table.ts';
import type { CursorKeys } from '../adapters/cursor-key.ts';
import { type Catalog, isAuditor } from '../core/catalog.ts';
import { type CursorPayload, decodeCursor, encodeCursor, invalidCursor } from '../core/cursor.ts';
import { eventToOcsf, sessionToOcsf, toOcsfLines } from '../core/ocsf.ts';
import type { Principal } from '../core/principal.ts';
import type { Session } from '../core/session.ts';
import { csvHeader, toCsvRows, toNdjson } from '../core/session-export.ts';
import { monotonicMs, toApiTime } from '../core/time.ts';
import { InvalidRequestError, NotFoundError } from '../errors.ts';
import { EventsQuery, SessionsExportQuery, SessionsQuery } from '../schemas.ts';

export interface QueryDeps {
  catalog: Catalog;
  audit: AuditTable;
  cursorKey: CursorKeys;
  now: () => Date;
}

/** The query's time range as API times; a range that ends before it starts is a 400. */
function timeRange(query: { from?: string | undefined; to?: string | undefined }) {
  const from = query.from === undefined ? undefined : toApiTime(new Date(query.from));
  const to = query.to === undefined ? undefined : toApiTime(new Date(query.to));
  if (from !== undefined && to !== undefined && from > to) {
    throw new InvalidRequestError('from is after to', [{ path: 'from', message: 'must not be after to' }]);
  }
  return { from, to };
}

/** Where a cursor resumes: the position, and the phase of a listing that walks two (the OCSF export). */
function readCursor(
  cursor: string | undefined,
  key: Buffer,
  binding: CursorPayload,
): { position: AuditPosition; phase: string | null } | undefined {
  if (!cursor) return undefined;
  const payload = decodeCursor(cursor, key, binding);
  const position = decodePosition(String(payload.position));
  if (!position) throw invalidCursor();
  return { position, phase: typeof payload.phase === 'string' ? payload.phase : null };
}

const writeCursor = (next: AuditPosition | undefined, key: Buffer, binding: CursorPayload, phase?: string) =>
  next
    ? encodeCursor({ ...binding, ...(phase ? { phase } : {}), position: encodePosition(next) }, key)
    : null;

/** Parameters that do not change which records a listing walks: not part of a cursor's binding. */
const UNBOUND = new Set(['cursor', 'limit', 'format']);

/**
 * A listing: its name in its cursors, and the schema of its query, to every parameter of which (absent
 * or not, but UNBOUND) its cursors are bound. Each use case names its own, so that a function bundles
 * (and builds) no other listing's schema.
 */
interface Listing {
  name: 'sessions' | 'events' | 'ocsf';
  query: { shape: Record<string, unknown> };
}

/**
 * What a cursor is bound to: the listing, the caller and every filter of the query, an absent one as
 * null. A cursor of a narrower query, another caller or the other listing is refused (400).
 */
function bindingOf(listing: Listing, query: Record<string, unknown>, principal: Principal): CursorPayload {
  const binding: CursorPayload = { listing: listing.name, caller: principal.sub };
  for (const name of Object.keys(listing.query.shape)) {
    if (UNBOUND.has(name)) continue;
    const value = query[name];
    binding[`q.${name}`] = value === undefined ? null : String(value);
  }
  return binding;
}

interface Scope {
  key: Buffer;
  binding: CursorPayload;
  start: AuditPosition | undefined;
  /** The phase the cursor stopped in, for a listing of two phases; null from the start. */
  phase: string | null;
  /** The principal whose records the caller may see; undefined for an auditor without a filter. */
  principalFilter: string | undefined;
}

/**
 * Who sees what, for both audit queries: auditors see every record, anyone else only their own,
 * and a filter on another principal sees nothing (null), rather than an error confirming they exist.
 * Also checks the cursor against the query and the caller.
 */
async function scopeOf(
  deps: QueryDeps,
  listing: Listing,
  principal: Principal,
  query: { principal?: string | undefined; cursor?: string | undefined },
): Promise<Scope | null> {
  const key = await deps.cursorKey(query.cursor);
  const auditor = isAuditor(deps.catalog, principal);
  const binding = bindingOf(listing, query, principal);
  const resume = readCursor(query.cursor, key, binding);
  if (!auditor && query.principal !== undefined && query.principal !== principal.sub) return null;
  return {
    key,
    binding,
    start: resume?.position,
    phase: resume?.phase ?? null,
    principalFilter: auditor ? query.principal : principal.sub,
  };
}

/** The sessions a query asks for, within what the caller may see. */
const sessionFilterOf = (query: Omit<SessionsQuery, 'limit' | 'cursor' | 'format'>, scope: Scope) => ({
  principal: scope.principalFilter,
  entitlementId: query.entitlementId,
  roleArn: query.roleArn,
  accessKeyId: query.accessKeyId,
  requestId: query.requestId,
  breakGlass: query.breakGlass === undefined ? undefined : query.breakGlass === 'true',
  ...timeRange(query),
});

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
  limit = query.limit,
): Promise<SessionsPage> {
  const scope = await scopeOf(deps, { name: 'sessions', query: SessionsQuery }, principal, query);
  if (!scope) return { items: [], nextCursor: null };
  const { items, next } = await findSessions(deps.audit, sessionFilterOf(query, scope), {
    start: scope.start,
    limit,
    now: deps.now(),
  });
  return { items, nextCursor: writeCursor(next, scope.key, scope.binding) };
}

/** One session, for auditors and for its principal; 404 otherwise (and past retention). */
export async function getSession(deps: QueryDeps, principal: Principal, id: string): Promise<Session> {
  const session = await findSessionById(deps.audit, id, deps.now());
  if (!session || (!isAuditor(deps.catalog, principal) && session.principal.sub !== principal.sub)) {
    throw new NotFoundError(`session '${id}' was not found`);
  }
  return session;
}

/**
 * The story of a request or a person: request.created, approvals, denials, cancellation, expiry and
 * each credentials.issued, newest first. Same visibility as sessions.
 */
export async function queryEvents(
  deps: QueryDeps,
  principal: Principal,
  query: EventsQuery,
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  const scope = await scopeOf(deps, { name: 'events', query: EventsQuery }, principal, query);
  if (!scope) return { items: [], nextCursor: null };
  const filter = { requestId: query.requestId, principal: scope.principalFilter };
  const { items, next } = await findEvents(deps.audit, filter, {
    start: scope.start,
    limit: query.limit,
    now: deps.now(),
  });
  return { items, nextCursor: writeCursor(next, scope.key, scope.binding) };
}

/** A Lambda response is at most 6 MB: stop before it and hand back a cursor to continue from. */
export const MAX_EXPORT_BYTES = 5 * 1024 * 1024;
/**
 * And stop well before the function's timeout (29 s, API Gateway's 30 s): a cut export continues
 * through its cursor, where a timed-out one would be a 5xx with nothing to continue from.
 */
export const EXPORT_TIME_BUDGET_MS = 10_000;

/**
 * Every session matching the query as NDJSON or CSV, page after page with no page limit, up to
 * MAX_EXPORT_BYTES or EXPORT_TIME_BUDGET_MS; `nextCursor` is set only when the export was cut there.
 */
export async function exportSessions(
  deps: QueryDeps,
  principal: Principal,
  query: SessionsQuery,
): Promise<{ body: string; contentType: string; nextCursor: string | null }> {
  const csv = query.format === 'csv';
  const started = monotonicMs();
  let body = csv ? csvHeader() : '';
  let cursor = query.cursor;
  for (;;) {
    const page = await querySessions(deps, principal, { ...query, cursor }, 100);
    body += csv ? toCsvRows(page.items) : toNdjson(page.items);
    if (!page.nextCursor)
      return {
        body,
        contentType: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
        nextCursor: null,
      };
    cursor = page.nextCursor;
    if (Buffer.byteLength(body) >= MAX_EXPORT_BYTES || monotonicMs() - started >= EXPORT_TIME_BUDGET_MS) {
      return {
        body,
        contentType: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
        nextCursor: cursor,
      };
    }
  }
}

const NDJSON = 'application/x-ndjson';

/** The two phases of the OCSF export, in order: the sessions, then the workflow events. */
const PHASES = ['sessions', 'events'] as const;

/**
 * GET /v1/sessions/export. `ndjson` and `csv` are the export of GET /v1/sessions (same cursors).
 * `ocsf` writes one OCSF record per line (lib/core/ocsf.ts) in two phases under one cursor: every
 * session matching the query (by the same index as the listing, newest first), then every workflow
 * event matching the filters that events carry (principal, entitlement, request, time range; the
 * principal of an event is the requester), newest first. A filter on what only sessions carry (role,
 * AccessKeyId, break glass) leaves the events out. Visibility is the listing's: auditors see
 * everything, anyone else their own. Cut at MAX_EXPORT_BYTES or EXPORT_TIME_BUDGET_MS with a cursor
 * that names the phase and the position in it.
 */
export async function exportSessionsAndEvents(
  deps: QueryDeps,
  principal: Principal,
  query: SessionsExportQuery,
): Promise<{ body: string; contentType: string; nextCursor: string | null }> {
  if (query.format !== 'ocsf')
    return exportSessions(deps, principal, { ...query, limit: 100, format: query.format });
  const scope = await scopeOf(deps, { name: 'ocsf', query: SessionsExportQuery }, principal, query);
  if (!scope) return { body: '', contentType: NDJSON, nextCursor: null };
  const sessions = sessionFilterOf(query, scope);
  const withEvents =
    query.roleArn === undefined && query.accessKeyId === undefined && query.breakGlass === undefined;
  const events = {
    principal: scope.principalFilter,
    entitlementId: query.entitlementId,
    requestId: query.requestId,
    from: sessions.from,
    to: sessions.to,
  };
  // A cursor of the export is signed and names the phase it stopped in; one that names none is not one.
  let phase = PHASES.find((p) => p === (scope.phase ?? 'sessions'));
  if (phase === undefined || (scope.start !== undefined && scope.phase === null)) throw invalidCursor();
  let start = scope.start;
  const started = monotonicMs();
  let body = '';
  for (;;) {
    const listing = { start, limit: 100, now: deps.now() };
    let next: AuditPosition | undefined;
    if (phase === 'sessions') {
      const page = await findSessions(deps.audit, sessions, listing);
      body += toOcsfLines(page.items.map(sessionToOcsf));
      next = page.next;
      if (!next && withEvents) {
        phase = 'events';
        next = { p: 0, k: null };
      }
    } else {
      const page = await findWorkflowEvents(deps.audit, events, listing);
      body += toOcsfLines(page.items.map(eventToOcsf));
      next = page.next;
    }
    if (!next) return { body, contentType: NDJSON, nextCursor: null };
    start = next;
    if (Buffer.byteLength(body) >= MAX_EXPORT_BYTES || monotonicMs() - started >= EXPORT_TIME_BUDGET_MS) {
      return { body, contentType: NDJSON, nextCursor: writeCursor(next, scope.key, scope.binding, phase) };
    }
  }
}

/**
 * Reads of requests: one request (for its requester, eligible approvers and auditors), and the
 * caller's own or approvable requests, newest first, with signed cursors. A request seen expired for
 * the first time gets its `request.expired` event.
 */
import { noteExpiry } from '../adapters/audit-trail.ts';
import { createdKeyOf, getRequest, queryIndex } from '../adapters/requests-table.ts';
import {
  type ApiRequest,
  maySee,
  type RequestRecord,
  requestNotFound,
  statusOf,
  toApiRequest,
} from '../core/approval.ts';
import { findEntitlement, isAuditor, mayApprove } from '../core/catalog.ts';
import { decodeCursor, encodeCursor } from '../core/cursor.ts';
import type { Principal } from '../core/principal.ts';
import type { Deps, RequestDeps } from '../deps.ts';
import type { ListRequestsQuery } from '../schemas.ts';

/** One request, for its requester, its eligible approvers and auditors; 404 for anyone else. */
export async function getRequestFor(
  deps: RequestDeps,
  principal: Principal,
  id: string,
): Promise<ApiRequest> {
  const r = await getRequest(deps.requests, id);
  const entitlement = r && findEntitlement(deps.catalog, r.entitlementId);
  if (!r || !maySee(r, entitlement, principal, isAuditor(deps.catalog, principal))) {
    throw requestNotFound(id);
  }
  const now = deps.now();
  const view = toApiRequest(r, now, entitlement !== undefined);
  await noteExpiry(deps, r, view.status);
  return view;
}

/** Requests of one index partition, newest first, fetched page by page as the merge needs them. */
async function* partition(
  deps: RequestDeps,
  index: 'byRequester' | 'byEntitlement',
  key: string,
  before: string | undefined,
): AsyncGenerator<RequestRecord> {
  let startKey: Awaited<ReturnType<typeof queryIndex>>['lastKey'];
  do {
    const page = await queryIndex(deps.requests, index, key, before, 50, startKey);
    yield* page.items;
    startKey = page.lastKey;
  } while (startKey);
}

/** Merges partitions newest first (each is already newest first). */
async function* newestFirst(streams: Array<AsyncGenerator<RequestRecord>>): AsyncGenerator<RequestRecord> {
  const heads = await Promise.all(streams.map((s) => s.next()));
  for (;;) {
    let pick = -1;
    heads.forEach((head, i) => {
      if (head.done) return;
      const best = heads[pick];
      if (pick < 0 || (best && !best.done && createdKeyOf(head.value) > createdKeyOf(best.value))) pick = i;
    });
    const chosen = heads[pick];
    if (pick < 0 || !chosen || chosen.done) return;
    yield chosen.value;
    heads[pick] = await (streams[pick] as AsyncGenerator<RequestRecord>).next();
  }
}

/**
 * `view=mine`: the caller's requests (index by requester). `view=approvable`: requests on the
 * entitlements the caller may approve, other than their own (index by entitlement, one partition
 * per entitlement, merged). Newest first; `status` filters the derived status; the cursor is the
 * position of the last item returned, signed and bound to the view and status.
 */
export async function listRequests(
  deps: RequestDeps & Pick<Deps, 'cursorKey'>,
  principal: Principal,
  query: ListRequestsQuery,
): Promise<{ items: ApiRequest[]; nextCursor: string | null }> {
  const cursorKey = await deps.cursorKey(query.cursor);
  const binding = { view: query.view, status: query.status ?? null, sub: principal.sub };
  const before = query.cursor ? String(decodeCursor(query.cursor, cursorKey, binding).before) : undefined;
  const streams =
    query.view === 'mine'
      ? [partition(deps, 'byRequester', principal.sub, before)]
      : deps.catalog.entitlements
          .filter((e) => mayApprove(e, principal))
          .map((e) => partition(deps, 'byEntitlement', e.id, before));

  const now = deps.now();
  const items: ApiRequest[] = [];
  let last: RequestRecord | undefined;
  let more = false;
  for await (const r of newestFirst(streams)) {
    if (query.view === 'approvable' && r.requester.sub === principal.sub) continue;
    const exists = findEntitlement(deps.catalog, r.entitlementId) !== undefined;
    if (query.status && statusOf(r, now, exists) !== query.status) continue;
    if (items.length === query.limit) {
      more = true;
      break;
    }
    items.push(toApiRequest(r, now, exists));
    last = r;
  }
  return {
    items,
    nextCursor: more && last ? encodeCursor({ ...binding, before: createdKeyOf(last) }, cursorKey) : null,
  };
}

import type { Principal } from '../core/principal.ts';
import { csvHeader, toCsvRows, toNdjson } from '../core/session-export.ts';
import type { SessionsQuery } from '../schemas.ts';
import { type QueryDeps, querySessions } from './query-audit.ts';

/** A Lambda response is at most 6 MB: stop before it and hand back a cursor to continue from. */
export const MAX_EXPORT_BYTES = 5 * 1024 * 1024;

/**
 * Every session matching the query as NDJSON or CSV, page after page with no page limit, up to
 * MAX_EXPORT_BYTES; `nextCursor` is set only when the export was cut there.
 */
export async function exportSessions(
  deps: QueryDeps,
  principal: Principal,
  query: SessionsQuery,
  cursorKey: Buffer,
): Promise<{ body: string; contentType: string; nextCursor: string | null }> {
  const csv = query.format === 'csv';
  let body = csv ? csvHeader() : '';
  let cursor = query.cursor;
  for (;;) {
    const page = await querySessions(deps, principal, { ...query, cursor }, cursorKey, 100);
    body += csv ? toCsvRows(page.items) : toNdjson(page.items);
    if (!page.nextCursor)
      return {
        body,
        contentType: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
        nextCursor: null,
      };
    cursor = page.nextCursor;
    if (Buffer.byteLength(body) >= MAX_EXPORT_BYTES) {
      return {
        body,
        contentType: csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
        nextCursor: cursor,
      };
    }
  }
}

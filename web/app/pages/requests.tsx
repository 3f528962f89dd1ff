/**
 * My requests: each with its status, approvals so far against the quorum, its deadline or window,
 * and what can be done: cancel (pending, or approved with uses left), or use an approved one.
 */
import { useEffect, useState } from 'preact/hooks';
import { type AccessRequest, api, type Page, query } from '../api.ts';
import { VendActions } from '../credentials.tsx';
import { duration, time } from '../format.ts';
import { Badge, ErrorNote } from '../ui.tsx';

export function Quorum({ request }: { request: AccessRequest }) {
  const got = request.approvals.length;
  return (
    <div class="quorum">
      <label>
        Approvals: {got} of {request.minApprovals}{' '}
        <progress max={request.minApprovals} value={Math.min(got, request.minApprovals)} />
      </label>
      {got > 0 && (
        <ul class="plain">
          {request.approvals.map((a) => (
            <li key={a.approver.sub}>
              {a.approver.name} at {time(a.at)}
              {a.comment ? `: “${a.comment}”` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RequestFacts({ request: r }: { request: AccessRequest }) {
  return (
    <dl class="facts">
      <dt>Asked by</dt>
      <dd>
        {r.requester.name} <span class="muted">({r.requester.sub})</span>
      </dd>
      <dt>For</dt>
      <dd>{duration(r.durationSeconds)}</dd>
      <dt>Why</dt>
      <dd class="prose">{r.justification}</dd>
      {r.ticket && (
        <>
          <dt>Ticket</dt>
          <dd>{r.ticket}</dd>
        </>
      )}
      <dt>Asked</dt>
      <dd>{time(r.createdAt)}</dd>
      <dt>{r.status === 'pending' ? 'Decide by' : r.status === 'approved' ? 'Use by' : 'Ended'}</dt>
      <dd>{time(r.expiresAt)}</dd>
      {r.denial && (
        <>
          <dt>Denied by</dt>
          <dd>
            {r.denial.by.name}: “{r.denial.reason}”
          </dd>
        </>
      )}
    </dl>
  );
}

function MyRequest({ request, onChange }: { request: AccessRequest; onChange: () => void }) {
  const [error, setError] = useState<Error | null>(null);
  const usable = request.status === 'approved' && (request.usesRemaining ?? 1) > 0;
  const cancel = async () => {
    setError(null);
    try {
      await api('POST', `/requests/${request.id}/cancel`);
      onChange();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  return (
    <li class="card" data-request={request.id}>
      <h3>
        {request.entitlementId} <Badge>{request.status}</Badge>
      </h3>
      <RequestFacts request={request} />
      <Quorum request={request} />
      {request.status === 'approved' && request.usesRemaining !== null && (
        <p>Uses left: {request.usesRemaining}</p>
      )}
      {usable && (
        <VendActions body={() => ({ entitlementId: request.entitlementId, requestId: request.id })} />
      )}
      {(request.status === 'pending' || usable) && (
        <p>
          <button
            type="button"
            class="secondary"
            onClick={cancel}
            aria-label={`Cancel request ${request.id}`}
          >
            Cancel request
          </button>
        </p>
      )}
      <ErrorNote error={error} />
    </li>
  );
}

export function MyRequestsPage() {
  const [items, setItems] = useState<AccessRequest[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const load = async (after?: string) => {
    try {
      const page = await api<Page<AccessRequest>>(
        'GET',
        `/requests${query({ view: 'mine', limit: 20, cursor: after })}`,
      );
      setItems(after ? [...(items ?? []), ...page.items] : page.items);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure as Error);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <>
      <ErrorNote error={error} />
      {!items && !error && <p>Loading…</p>}
      {items?.length === 0 && (
        <p>
          No requests yet. <a href="#/request">Ask for access</a>.
        </p>
      )}
      <ul class="cards">
        {items?.map((r) => (
          <MyRequest key={r.id} request={r} onChange={() => void load()} />
        ))}
      </ul>
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </>
  );
}

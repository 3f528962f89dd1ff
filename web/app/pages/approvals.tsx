/**
 * The approvals inbox: pending requests the person may decide (GET /v1/requests?view=approvable),
 * refreshed every 10 s. Approve with an optional comment, or deny with a reason. The person's own
 * requests carry no buttons (the API refuses self-approval; its refusal shows if it comes anyway).
 */
import { useState } from 'preact/hooks';
import { type AccessRequest, api, type Page, query } from '../api.ts';
import { user } from '../auth.ts';
import { Badge, ErrorNote, Field, usePolling } from '../ui.tsx';
import { Quorum, RequestFacts } from './requests.tsx';

function Decision({ request, onDecided }: { request: AccessRequest; onDecided: (text: string) => void }) {
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (action: 'approve' | 'deny') => {
    setError(null);
    setBusy(true);
    try {
      const body = action === 'approve' ? (comment.trim() ? { comment: comment.trim() } : {}) : { reason };
      const after = await api<AccessRequest>('POST', `/requests/${request.id}/${action}`, body);
      onDecided(
        `${action === 'approve' ? 'Approved' : 'Denied'} ${request.requester.name}'s request for ${request.entitlementId}: now ${after.status}.`,
      );
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  const id = request.id;
  return (
    <div class="decision">
      <Field id={`comment-${id}`} label="Comment (optional)">
        {(describedBy) => (
          <input
            id={`comment-${id}`}
            type="text"
            value={comment}
            aria-describedby={describedBy}
            onInput={(e) => setComment((e.target as HTMLInputElement).value)}
          />
        )}
      </Field>
      <button type="button" disabled={busy} onClick={() => decide('approve')}>
        Approve
      </button>
      <Field id={`reason-${id}`} label="Reason to deny">
        {(describedBy) => (
          <input
            id={`reason-${id}`}
            type="text"
            value={reason}
            aria-describedby={describedBy}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
        )}
      </Field>
      <button type="button" class="danger" disabled={busy} onClick={() => decide('deny')}>
        Deny
      </button>
      <ErrorNote error={error} />
    </div>
  );
}

export function ApprovalsPage() {
  const [items, setItems] = useState<AccessRequest[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [said, setSaid] = useState('');
  const load = async () => {
    try {
      const page = await api<Page<AccessRequest>>(
        'GET',
        `/requests${query({ view: 'approvable', status: 'pending', limit: 50 })}`,
      );
      setItems(page.items);
      setError(null);
    } catch (failure) {
      setError(failure as Error);
    }
  };
  usePolling(() => void load(), 10_000);
  const me = user.value?.sub;
  return (
    <>
      <p class="muted">Pending requests you may decide; the list refreshes by itself.</p>
      <p role="status" class="success">
        {said}
      </p>
      <ErrorNote error={error} />
      {!items && !error && <p>Loading…</p>}
      {items?.length === 0 && <p>Nothing waits for your decision.</p>}
      <ul class="cards">
        {items?.map((r) => (
          <li class="card" key={r.id} data-request={r.id}>
            <h3>
              {r.requester.name} asks for {r.entitlementId} <Badge>{r.status}</Badge>
            </h3>
            <RequestFacts request={r} />
            <Quorum request={r} />
            {r.requester.sub === me ? (
              <p class="note">Your own request: another approver must decide it.</p>
            ) : (
              <Decision
                request={r}
                onDecided={(text) => {
                  setSaid(text);
                  void load();
                }}
              />
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * Request access: the entitlements the person may request, and one form for the chosen one. Without
 * approval it vends at once (credentials or the console); with approval it asks (POST /v1/requests)
 * and the answer waits in My requests. The API's validation messages show at their fields.
 */
import { useState } from 'preact/hooks';
import { type AccessRequest, ApiError, api, type Entitlement } from '../api.ts';
import { VendActions } from '../credentials.tsx';
import { entitlements, entitlementsError } from '../entitlements.ts';
import { duration } from '../format.ts';
import { Badge, ErrorNote, Field, useDraft } from '../ui.tsx';

export function EntitlementSummary({ entitlement: e }: { entitlement: Entitlement }) {
  return (
    <dl class="facts">
      <dt>Role</dt>
      <dd>
        <code>{e.roleArn}</code> ({e.issuance})
      </dd>
      <dt>Duration</dt>
      <dd>
        {duration(e.defaultDurationSeconds)} by default, up to {duration(e.maxDurationSeconds)}
      </dd>
      <dt>Approval</dt>
      <dd>
        {e.approval.required
          ? `${e.approval.minApprovals} approval${e.approval.minApprovals > 1 ? 's' : ''} from ${e.approval.approverGroups.join(', ')}`
          : 'none needed'}
      </dd>
      {e.breakGlass.allowed && (
        <>
          <dt>Break glass</dt>
          <dd>available to you, up to {duration(e.breakGlass.maxDurationSeconds ?? 0)}</dd>
        </>
      )}
    </dl>
  );
}

const minutesOf = (seconds: number) => String(Math.round(seconds / 60));

export function RequestPage() {
  const all = entitlements.use();
  const failed = entitlementsError.use();
  const list = (all ?? []).filter((e) => e.canRequest);
  const [draft, update, reset] = useDraft('request', {
    entitlementId: '',
    justification: '',
    ticket: '',
    minutes: '',
  });
  const [error, setError] = useState<Error | null>(null);
  const [created, setCreated] = useState<AccessRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = list.find((e) => e.id === draft.entitlementId) ?? list[0];
  const fieldError = (field: string) => (error instanceof ApiError ? error.at(field) : undefined);
  const durationSeconds = () =>
    draft.minutes.trim() === '' ? undefined : Math.round(Number(draft.minutes) * 60);

  if (failed) return <ErrorNote error={failed} />;
  if (!all) return <p>Loading your entitlements…</p>;
  if (!chosen) return <p>No entitlement may be requested by you. Ask your administrator for a group.</p>;

  const ask = async (event: Event) => {
    event.preventDefault();
    // Enter in a field of a direct entitlement's form asks nothing: its buttons vend.
    if (!chosen.approval.required) return;
    setError(null);
    setCreated(null);
    setBusy(true);
    try {
      const request = await api<AccessRequest>('POST', '/requests', {
        entitlementId: chosen.id,
        justification: draft.justification,
        ...(draft.ticket.trim() ? { ticket: draft.ticket.trim() } : {}),
        ...(durationSeconds() === undefined ? {} : { durationSeconds: durationSeconds() }),
      });
      setCreated(request);
      reset({ entitlementId: chosen.id, justification: '', ticket: '', minutes: '' });
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form class="card" onSubmit={ask} noValidate aria-labelledby="request-form-title">
        <h2 id="request-form-title">Ask for access</h2>
        <Field id="entitlement" label="Entitlement" error={fieldError('entitlementId')}>
          {(describedBy, invalid) => (
            <select
              id="entitlement"
              value={chosen.id}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onChange={(e) => {
                setError(null);
                setCreated(null);
                update('entitlementId', (e.target as HTMLSelectElement).value);
              }}
            >
              {list.map((e) => (
                <option value={e.id} key={e.id}>
                  {e.id}
                </option>
              ))}
            </select>
          )}
        </Field>
        <p>{chosen.description}</p>
        <EntitlementSummary entitlement={chosen} />
        <Field
          id="duration"
          label="Duration (minutes)"
          hint={`From 15 to ${minutesOf(chosen.maxDurationSeconds)}; empty: ${minutesOf(chosen.defaultDurationSeconds)}.`}
          error={fieldError('durationSeconds')}
        >
          {(describedBy, invalid) => (
            <input
              id="duration"
              type="number"
              inputMode="numeric"
              step="1"
              value={draft.minutes}
              placeholder={minutesOf(chosen.defaultDurationSeconds)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onInput={(e) => update('minutes', (e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        {chosen.approval.required ? (
          <>
            <Field
              id="justification"
              label="Justification"
              hint="Why you need it, for the approvers and the audit trail (10 to 1000 characters)."
              error={fieldError('justification')}
            >
              {(describedBy, invalid) => (
                <textarea
                  id="justification"
                  rows={3}
                  value={draft.justification}
                  aria-describedby={describedBy}
                  aria-invalid={invalid}
                  onInput={(e) => update('justification', (e.target as HTMLTextAreaElement).value)}
                />
              )}
            </Field>
            <Field id="ticket" label="Ticket (optional)" error={fieldError('ticket')}>
              {(describedBy, invalid) => (
                <input
                  id="ticket"
                  type="text"
                  value={draft.ticket}
                  aria-describedby={describedBy}
                  aria-invalid={invalid}
                  onInput={(e) => update('ticket', (e.target as HTMLInputElement).value)}
                />
              )}
            </Field>
            <button type="submit" disabled={busy}>
              Ask for approval
            </button>
            <ErrorNote error={error} />
            {created && (
              <p role="status" class="success">
                Request <code>{created.id}</code> is <Badge>{created.status}</Badge>.{' '}
                {created.status === 'approved' ? 'Use it in ' : 'Follow it in '}
                <a href="#/requests">My requests</a>.
              </p>
            )}
          </>
        ) : (
          <VendActions
            onError={setError}
            body={() => ({
              entitlementId: chosen.id,
              ...(durationSeconds() === undefined ? {} : { durationSeconds: durationSeconds() }),
            })}
          />
        )}
      </form>
      <section aria-labelledby="all-title">
        <h2 id="all-title">Everything you may request</h2>
        <ul class="cards">
          {list.map((e) => (
            <li class="card" key={e.id}>
              <h3>
                {e.id}{' '}
                {e.approval.required ? <Badge tone="warn">approval</Badge> : <Badge tone="ok">direct</Badge>}
                {e.breakGlass.allowed && <Badge tone="bad">break glass</Badge>}
              </h3>
              <p>{e.description}</p>
              <EntitlementSummary entitlement={e} />
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

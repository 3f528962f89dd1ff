/**
 * Audit: session search with the API's filters and pagination (auditors see everyone's, others their
 * own), the break-glass review queue, the export, and one session's whole story (the session, its
 * request's events from GET /v1/events, its review).
 */
import { useEffect, useState } from 'preact/hooks';
import {
  type AccessRequest,
  ApiError,
  type AuditEvent,
  api,
  type Page,
  query,
  type Session,
} from '../api.ts';
import { token } from '../auth.ts';
import { duration, time } from '../format.ts';
import { Badge, ErrorNote, Field } from '../ui.tsx';

const FILTERS = [
  ['principal', 'Principal (sub)'],
  ['entitlementId', 'Entitlement'],
  ['roleArn', 'Role ARN'],
  ['accessKeyId', 'Access key id'],
  ['requestId', 'Request id'],
] as const;

type Filters = Record<(typeof FILTERS)[number][0] | 'breakGlass' | 'from' | 'to', string>;
const EMPTY: Filters = {
  principal: '',
  entitlementId: '',
  roleArn: '',
  accessKeyId: '',
  requestId: '',
  breakGlass: '',
  from: '',
  to: '',
};

/** datetime-local (the reader's zone) -> RFC 3339 UTC, as the API takes it. */
const utc = (local: string) => (local ? new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined);

const filterQuery = (f: Filters) => ({
  principal: f.principal.trim(),
  entitlementId: f.entitlementId.trim(),
  roleArn: f.roleArn.trim(),
  accessKeyId: f.accessKeyId.trim(),
  requestId: f.requestId.trim(),
  breakGlass: f.breakGlass,
  from: utc(f.from),
  to: utc(f.to),
});

function SessionRow({ session: s }: { session: Session }) {
  return (
    <tr>
      <td>{time(s.issuedAt)}</td>
      <td>{s.principal.name}</td>
      <td>{s.entitlementId}</td>
      <td>
        <code>{s.accessKeyId}</code>
      </td>
      <td>{s.breakGlass ? <Badge tone="bad">break glass</Badge> : s.requestId ? 'approved' : 'direct'}</td>
      <td>
        <a href={`#/audit/sessions/${s.id}`} aria-label={`Story of session ${s.id}`}>
          Story
        </a>
      </td>
    </tr>
  );
}

function Search() {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [items, setItems] = useState<Session[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [exported, setExported] = useState('');
  const fieldError = (field: string) => (error instanceof ApiError ? error.at(field) : undefined);

  const search = async (after?: string) => {
    setError(null);
    try {
      const page = await api<Page<Session>>(
        'GET',
        `/sessions${query({ ...filterQuery(filters), limit: 20, cursor: after })}`,
      );
      setItems(after ? [...(items ?? []), ...page.items] : page.items);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure as Error);
    }
  };
  useEffect(() => {
    void search();
  }, []);

  /** The export is a download of the API's answer: fetched with the token, saved as a file. */
  const exportAs = async (format: 'ocsf' | 'ndjson' | 'csv') => {
    setError(null);
    try {
      const answer = await fetch(`/v1/sessions/export${query({ ...filterQuery(filters), format })}`, {
        headers: { Authorization: `Bearer ${token() ?? ''}` },
        cache: 'no-store',
      });
      if (!answer.ok) {
        const body = (await answer.json()) as { error: { code: string; message: string } };
        throw new ApiError(answer.status, body.error.code, body.error.message);
      }
      const blob = await answer.blob();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `hallpass-sessions.${format === 'csv' ? 'csv' : 'ndjson'}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      setExported(
        `Exported ${format} (${blob.size} bytes)${answer.headers.get('X-Next-Cursor') ? ', cut: export again from the next cursor' : ''}.`,
      );
    } catch (failure) {
      setError(failure as Error);
    }
  };

  const set = (field: keyof Filters) => (e: Event) =>
    setFilters({ ...filters, [field]: (e.target as HTMLInputElement).value });

  return (
    <section aria-labelledby="search-title">
      <h2 id="search-title">Sessions</h2>
      <form
        class="card filters"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        {FILTERS.map(([field, label]) => (
          <Field key={field} id={`f-${field}`} label={label} error={fieldError(field)}>
            {(describedBy, invalid) => (
              <input
                id={`f-${field}`}
                type="text"
                value={filters[field]}
                aria-describedby={describedBy}
                aria-invalid={invalid}
                onInput={set(field)}
              />
            )}
          </Field>
        ))}
        <Field id="f-breakGlass" label="Break glass" error={fieldError('breakGlass')}>
          {(describedBy) => (
            <select
              id="f-breakGlass"
              value={filters.breakGlass}
              aria-describedby={describedBy}
              onChange={set('breakGlass')}
            >
              <option value="">any</option>
              <option value="true">only break glass</option>
              <option value="false">no break glass</option>
            </select>
          )}
        </Field>
        <Field id="f-from" label="Issued from" error={fieldError('from')}>
          {(describedBy, invalid) => (
            <input
              id="f-from"
              type="datetime-local"
              value={filters.from}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onInput={set('from')}
            />
          )}
        </Field>
        <Field id="f-to" label="Issued to" error={fieldError('to')}>
          {(describedBy, invalid) => (
            <input
              id="f-to"
              type="datetime-local"
              value={filters.to}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onInput={set('to')}
            />
          )}
        </Field>
        <div class="actions">
          <button type="submit">Search</button>
          <button type="button" class="secondary" onClick={() => setFilters(EMPTY)}>
            Clear filters
          </button>
        </div>
        <div class="actions">
          <span>Export the matches:</span>
          <button type="button" class="secondary" onClick={() => void exportAs('ocsf')}>
            OCSF
          </button>
          <button type="button" class="secondary" onClick={() => void exportAs('ndjson')}>
            NDJSON
          </button>
          <button type="button" class="secondary" onClick={() => void exportAs('csv')}>
            CSV
          </button>
        </div>
        <p role="status">{exported}</p>
      </form>
      <ErrorNote error={error} />
      {items && (
        <div class="table-wrap">
          <table>
            <caption>
              {items.length} session{items.length === 1 ? '' : 's'}
              {cursor ? ' (more below)' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Issued</th>
                <th scope="col">Who</th>
                <th scope="col">Entitlement</th>
                <th scope="col">Access key</th>
                <th scope="col">How</th>
                <th scope="col">
                  <span class="visually-hidden">Story</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <SessionRow key={s.id} session={s} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => void search(cursor)}>
          Next page
        </button>
      )}
    </section>
  );
}

function Review({ session, onReviewed }: { session: Session; onReviewed: () => void }) {
  const [verdict, setVerdict] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const id = session.id;
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api('POST', `/sessions/${id}/review`, { status: verdict, comment });
      onReviewed();
    } catch (failure) {
      setError(failure as Error);
    }
  };
  const fieldError = (field: string) => (error instanceof ApiError ? error.at(field) : undefined);
  return (
    <form class="review" noValidate onSubmit={submit} aria-label={`Review of session ${id}`}>
      <fieldset>
        <legend>Verdict</legend>
        {(['justified', 'unjustified'] as const).map((v) => (
          <label key={v} class="check">
            <input
              type="radio"
              name={`verdict-${id}`}
              value={v}
              checked={verdict === v}
              onChange={() => setVerdict(v)}
            />{' '}
            {v}
          </label>
        ))}
        {fieldError('status') && <p class="field-error">{fieldError('status')}</p>}
      </fieldset>
      <Field id={`review-comment-${id}`} label="Comment" error={fieldError('comment')}>
        {(describedBy, invalid) => (
          <input
            id={`review-comment-${id}`}
            type="text"
            value={comment}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onInput={(e) => setComment((e.target as HTMLInputElement).value)}
          />
        )}
      </Field>
      <button type="submit">Submit review</button>
      <ErrorNote error={error} />
    </form>
  );
}

function ReviewQueue() {
  const [items, setItems] = useState<Session[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const load = async () => {
    try {
      const page = await api<Page<Session>>('GET', `/sessions${query({ breakGlass: 'true', limit: 100 })}`);
      setItems(page.items.filter((s) => s.breakGlass?.review.status === 'pending'));
    } catch (failure) {
      setError(failure as Error);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="queue-title">
      <h2 id="queue-title">Break-glass sessions to review</h2>
      <ErrorNote error={error} />
      {items?.length === 0 && <p>Every break-glass session is reviewed.</p>}
      <ul class="cards">
        {items?.map((s) => (
          <li class="card" key={s.id} data-session={s.id}>
            <h3>
              {s.principal.name} broke glass on {s.entitlementId} <Badge tone="bad">break glass</Badge>
            </h3>
            <dl class="facts">
              <dt>When</dt>
              <dd>{time(s.issuedAt)}</dd>
              <dt>Why</dt>
              <dd class="prose">{s.breakGlass?.justification}</dd>
              <dt>Session</dt>
              <dd>
                <a href={`#/audit/sessions/${s.id}`}>{s.id}</a>
              </dd>
            </dl>
            <Review session={s} onReviewed={() => void load()} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function AuditPage() {
  return (
    <>
      <p class="muted">Auditors see every session; everyone else sees their own.</p>
      <ReviewQueue />
      <Search />
    </>
  );
}

const EVENT_WORDS: Record<string, string> = {
  'request.created': 'asked for access',
  'request.approved': 'approved',
  'request.denied': 'denied',
  'request.cancelled': 'cancelled',
  'credentials.issued': 'was issued credentials',
};

/** One session's story: its request's events (oldest first), its issue, its review. */
export function SessionStoryPage({ id }: { id: string }) {
  const [session, setSession] = useState<Session | null>(null);
  const [request, setRequest] = useState<AccessRequest | null>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    (async () => {
      try {
        const s = await api<Session>('GET', `/sessions/${encodeURIComponent(id)}`);
        setSession(s);
        if (s.requestId) {
          const [page, r] = await Promise.all([
            api<Page<AuditEvent>>('GET', `/events${query({ requestId: s.requestId, limit: 100 })}`),
            api<AccessRequest>('GET', `/requests/${encodeURIComponent(s.requestId)}`).catch(() => null),
          ]);
          setEvents([...page.items].reverse());
          setRequest(r);
        }
      } catch (failure) {
        setError(failure as Error);
      }
    })();
  }, [id]);
  if (error) return <ErrorNote error={error} />;
  if (!session) return <p>Loading…</p>;
  const review = session.breakGlass?.review;
  return (
    <>
      <p>
        <a href="#/audit">Back to the audit</a>
      </p>
      <section class="card">
        <h2>
          Session of {session.principal.name} on {session.entitlementId}
        </h2>
        <dl class="facts">
          <dt>Session id</dt>
          <dd>
            <code>{session.id}</code>
          </dd>
          <dt>Role session</dt>
          <dd>
            <code>{session.assumedRoleArn}</code>
          </dd>
          <dt>Access key id</dt>
          <dd>
            <code>{session.accessKeyId}</code>
          </dd>
          <dt>Issued</dt>
          <dd>
            {time(session.issuedAt)} for {duration(session.durationSeconds)}, until {time(session.expiresAt)}
          </dd>
          <dt>From</dt>
          <dd>
            {session.client.sourceIp ?? 'unknown address'} ({session.client.userAgent ?? 'unknown client'})
          </dd>
          {request && (
            <>
              <dt>Request</dt>
              <dd>
                <code>{request.id}</code>: “{request.justification}”
                {request.ticket ? ` (${request.ticket})` : ''}
              </dd>
            </>
          )}
        </dl>
      </section>
      <section aria-labelledby="story-title">
        <h2 id="story-title">Story</h2>
        <ol class="timeline">
          {events.map((e) => (
            <li key={e.id}>
              <time dateTime={e.at}>{time(e.at)}</time> <strong>{e.actor.name}</strong>{' '}
              {EVENT_WORDS[e.event] ?? e.event}
              {typeof e.details.comment === 'string' && e.details.comment ? `: “${e.details.comment}”` : ''}
              {typeof e.details.reason === 'string' ? `: “${e.details.reason}”` : ''}
            </li>
          ))}
          {!session.requestId && (
            <li>
              <time dateTime={session.issuedAt}>{time(session.issuedAt)}</time>{' '}
              <strong>{session.principal.name}</strong> was issued credentials
              {session.breakGlass
                ? ` by breaking glass: “${session.breakGlass.justification}”`
                : ' (no approval needed)'}
            </li>
          )}
          {review && (
            <li>
              {review.status === 'pending' ? (
                <>
                  Review: <Badge>pending</Badge>
                </>
              ) : (
                <>
                  <time dateTime={review.at ?? ''}>{time(review.at)}</time>{' '}
                  <strong>{review.reviewer?.name}</strong> reviewed it: <Badge>{review.status}</Badge>
                  {review.comment ? ` “${review.comment}”` : ''}
                </>
              )}
            </li>
          )}
        </ol>
      </section>
    </>
  );
}

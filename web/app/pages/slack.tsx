/**
 * Slack: the person's links between a Slack user and themselves (GET /v1/slack/links), a box for the
 * one-time code `/hallpass link` answers in Slack (POST /v1/slack/links), a Remove button per link
 * that asks first (POST /v1/slack/links/{id}/unlink), and how long Slack decisions may use the
 * groups hallpass last saw: a Slack click carries no token, so that age is what stands between
 * leaving an approvers group and no longer approving from Slack.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.ts';
import { duration, time } from '../format.ts';
import { ErrorNote, Field } from '../ui.tsx';

export interface SlackLink {
  id: string;
  teamId: string;
  userId: string;
  linkedAt: string;
}

interface SlackLinks {
  links: SlackLink[];
  groups: { refreshedAt: string | null; maxAgeSeconds: number };
}

/**
 * A code as typed -> its shown form (`ABCDE-12345`), or null when it cannot be one: any case, dashes
 * and spaces ignored, I and L read as 1 and O as 0 (Crockford's base32, as the API reads it).
 */
export function normaliseCode(text: string): string | null {
  const chars = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  // Crockford's alphabet: no U (and I, L, O were read as digits above).
  return /^[0-9A-HJKMNP-TV-Z]{10}$/.test(chars) ? `${chars.slice(0, 5)}-${chars.slice(5)}` : null;
}

const BAD_CODE =
  'A link code is 10 letters and digits, like ABCDE-12345: type /hallpass link in Slack to get one.';

/** The Slack link routes' refusals in words a person can act on (the code and request id stay shown). */
const MESSAGES: Record<string, string> = {
  invalid_request: BAD_CODE,
  link_code_not_found:
    'That code is unknown, used or expired: a code works once, for 10 minutes. Type /hallpass link in Slack for a new one.',
  slack_user_linked:
    'That Slack user is linked to someone else. They must type /hallpass unlink in Slack before it can be linked to you.',
  too_many_links: 'You have as many Slack links as allowed (5). Remove one below, then enter the code again.',
  slack_not_configured: 'This hallpass has no Slack app set up: ask its operators to configure Slack.',
  link_not_found: 'That link is gone already (removed in Slack or in another tab).',
};

const explained = (error: unknown): unknown => {
  if (!(error instanceof ApiError) || !MESSAGES[error.code]) return error;
  return new ApiError(
    error.status,
    error.code,
    MESSAGES[error.code] as string,
    error.details,
    error.requestId,
  );
};

/** 86400 -> "24 hours", 5400 -> "1 h 30 min". */
const maxAge = (seconds: number) =>
  seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}` : duration(seconds);

function Groups({ groups, now }: { groups: SlackLinks['groups']; now: number }) {
  const age = maxAge(groups.maxAgeSeconds);
  const until = groups.refreshedAt ? Date.parse(groups.refreshedAt) + groups.maxAgeSeconds * 1000 : null;
  return (
    <section class="card" aria-labelledby="slack-groups-title">
      <h2 id="slack-groups-title">Your groups in Slack decisions</h2>
      <p>
        Slack approvals use the groups from your last sign-in to hallpass, for up to {age}. A click in Slack
        carries no token: hallpass remembers the groups your token had each time you used it (this page
        included) and, once they are older than {age}, asks you in Slack to open hallpass first.
      </p>
      <dl class="facts">
        <dt>Refreshed</dt>
        <dd>
          {groups.refreshedAt ? (
            <time dateTime={groups.refreshedAt}>{time(groups.refreshedAt)}</time>
          ) : (
            'not recorded (you have no link)'
          )}
        </dd>
        <dt>Slack decisions</dt>
        <dd>
          {until === null
            ? 'none until you link a Slack user'
            : until > now
              ? `use these groups until ${time(new Date(until).toISOString())}`
              : 'refused until you use hallpass again'}
        </dd>
      </dl>
      <p class="muted">
        Removed from an approvers group, you can still approve from Slack until your groups are {age} old,
        unless you use hallpass again before.
      </p>
    </section>
  );
}

function LinkCard({
  link,
  onRemoved,
  onError,
}: {
  link: SlackLink;
  onRemoved: (link: SlackLink) => void;
  onError: (error: unknown) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const remove = useRef<HTMLButtonElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // Focus follows the question: to "Yes, remove" when it is asked, back to Remove when it is not.
    if (first.current) first.current = false;
    else (asking ? confirm : remove).current?.focus();
  }, [asking]);
  const who = `Slack user ${link.userId} in team ${link.teamId}`;
  const removeLink = async () => {
    setBusy(true);
    try {
      await api('POST', `/slack/links/${encodeURIComponent(link.id)}/unlink`, {});
      onRemoved(link);
    } catch (failure) {
      setAsking(false);
      onError(explained(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="card" data-link={link.id}>
      <h3>
        Slack user {link.userId} in team {link.teamId}
      </h3>
      <dl class="facts">
        <dt>Linked</dt>
        <dd>
          <time dateTime={link.linkedAt}>{time(link.linkedAt)}</time>
        </dd>
        <dt>Link id</dt>
        <dd>
          <code>{link.id}</code>
        </dd>
      </dl>
      {asking ? (
        <fieldset>
          <legend>Remove the link to {who}?</legend>
          <p id={`confirm-${link.id}`}>Its clicks in Slack will no longer act as you.</p>
          <button
            type="button"
            class="danger"
            ref={confirm}
            disabled={busy}
            aria-describedby={`confirm-${link.id}`}
            onClick={() => void removeLink()}
          >
            Yes, remove
          </button>{' '}
          <button type="button" class="secondary" disabled={busy} onClick={() => setAsking(false)}>
            Keep it
          </button>
        </fieldset>
      ) : (
        <button
          type="button"
          class="secondary"
          ref={remove}
          aria-label={`Remove the link to ${who}`}
          onClick={() => setAsking(true)}
        >
          Remove
        </button>
      )}
    </li>
  );
}

export function SlackPage() {
  const [data, setData] = useState<SlackLinks | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | undefined>(undefined);
  const [said, setSaid] = useState('');
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const linksTitle = useRef<HTMLHeadingElement>(null);

  const load = async () => {
    try {
      setData(await api<SlackLinks>('GET', '/slack/links'));
      setLoadError(null);
    } catch (failure) {
      setLoadError(explained(failure));
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSaid('');
    const shown = normaliseCode(code);
    if (!shown) {
      setCodeError(BAD_CODE);
      input.current?.focus();
      return;
    }
    setCodeError(undefined);
    setBusy(true);
    try {
      const { link } = await api<{ link: SlackLink }>('POST', '/slack/links', { code: shown });
      setCode('');
      setSaid(
        `Linked Slack user ${link.userId} in team ${link.teamId}: your clicks in Slack now act as you.`,
      );
      await load();
    } catch (failure) {
      const shownError = explained(failure);
      // A code the API refused is the field's problem; anything else is the page's.
      if (
        failure instanceof ApiError &&
        (failure.code === 'link_code_not_found' || failure.code === 'invalid_request')
      ) {
        setCodeError((shownError as Error).message);
        input.current?.focus();
      } else setError(shownError);
    } finally {
      setBusy(false);
    }
  };

  if (loadError instanceof ApiError && loadError.code === 'slack_not_configured')
    return (
      <p class="note" role="note">
        Slack approvals are not set up for this hallpass. Its operators can add a Slack app (see the README).
      </p>
    );

  return (
    <>
      <p class="muted">
        Link your Slack user to yourself to approve and deny requests from Slack. In Slack, type{' '}
        <code>/hallpass link</code>: it answers, to you alone, with a code valid once for 10 minutes. Enter it
        here (or run <code>hallpass link &lt;code&gt;</code>).
      </p>
      <form class="card" onSubmit={submit} noValidate aria-labelledby="slack-link-title">
        <h2 id="slack-link-title">Link a Slack user</h2>
        <Field
          id="slack-code"
          label="Link code"
          hint="10 letters and digits, like ABCDE-12345; any case, with or without the dash."
          error={codeError}
        >
          {(describedBy, invalid) => (
            <input
              id="slack-code"
              ref={input}
              type="text"
              value={code}
              autoComplete="off"
              autoCapitalize="characters"
              spellcheck={false}
              maxLength={20}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onInput={(e) => setCode((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
        <button type="submit" disabled={busy}>
          Link
        </button>
      </form>
      <p role="status" aria-live="polite" class="success">
        {said}
      </p>
      <ErrorNote error={error} />
      <ErrorNote error={loadError} />
      <section aria-labelledby="slack-links-title">
        <h2 id="slack-links-title" tabIndex={-1} ref={linksTitle}>
          Your Slack links
        </h2>
        {!data && !loadError && <p>Loading…</p>}
        {data?.links.length === 0 && <p>No Slack user is linked to you.</p>}
        {data && data.links.length > 0 && (
          <ul class="cards">
            {data.links.map((l) => (
              <LinkCard
                key={l.id}
                link={l}
                onError={(failure) => {
                  setSaid('');
                  setError(failure);
                  void load();
                }}
                onRemoved={(gone) => {
                  setError(null);
                  setSaid(`Removed the link to Slack user ${gone.userId} in team ${gone.teamId}.`);
                  // The row and its buttons go: the focus goes to the list's heading, not to the page's end.
                  linksTitle.current?.focus();
                  void load();
                }}
              />
            ))}
          </ul>
        )}
      </section>
      {data && <Groups groups={data.groups} now={Date.now()} />}
    </>
  );
}

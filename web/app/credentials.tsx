/**
 * Getting access once it is allowed: credentials (POST /v1/credentials), shown masked with copy
 * buttons, an expiry countdown, `export` lines and a `credential_process` profile; or the AWS console
 * (POST /v1/console), opened in a new tab. Secrets stay in memory: the DOM gets one only when the
 * person presses Show, and nothing is stored.
 */
import { useState } from 'preact/hooks';
import { type ApiError, api, type Credentials, type Session } from './api.ts';
import { countdown, time } from './format.ts';
import { ErrorNote, useTick } from './ui.tsx';

interface Vended {
  credentials: Credentials;
  session: Session;
}

export interface VendBody {
  entitlementId: string;
  requestId?: string;
  durationSeconds?: number;
  breakGlass?: { justification: string };
}

/** Copies `text` and says so in a live region (the value never enters the DOM). */
function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied');
    } catch {
      setSaid('Copying failed: use Show, then copy by hand');
    }
    setTimeout(() => setSaid(''), 4000);
  };
  return (
    <>
      <button type="button" onClick={copy} aria-label={label}>
        Copy
      </button>
      <span class="copied" role="status">
        {said}
      </span>
    </>
  );
}

function Secret({ label, value, id }: { label: string; value: string; id: string }) {
  const [shown, setShown] = useState(false);
  return (
    <div class="secret">
      <span class="secret-label" id={`${id}-label`}>
        {label}
      </span>
      <code class="secret-value" data-testid={id}>
        {shown ? value : '••••••••••••••••'}
      </code>
      <span class="actions">
        <button
          type="button"
          aria-pressed={shown}
          onClick={() => setShown(!shown)}
          aria-label={`Show ${label}`}
        >
          {shown ? 'Hide' : 'Show'}
        </button>
        <CopyButton text={value} label={`Copy ${label}`} />
      </span>
    </div>
  );
}

export function CredentialsView({ vended, onForget }: { vended: Vended; onForget: () => void }) {
  const now = useTick(1000);
  const { credentials, session } = vended;
  const left = new Date(credentials.expiration).getTime() - now;
  const [exportsShown, setExportsShown] = useState(false);
  const exports = [
    `export AWS_ACCESS_KEY_ID=${credentials.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey}`,
    `export AWS_SESSION_TOKEN=${credentials.sessionToken}`,
  ].join('\n');
  const profile = [
    `[profile ${session.entitlementId}]`,
    `credential_process = hallpass credential-process ${session.entitlementId}${session.requestId ? ` --request ${session.requestId}` : ''}`,
  ].join('\n');
  return (
    <section class="card credentials" aria-labelledby="credentials-title">
      <h3 id="credentials-title">Credentials for {session.entitlementId}</h3>
      <p>
        <span role="timer" aria-label="Time left" class={left <= 0 ? 'expired' : ''}>
          {left > 0 ? `Expires in ${countdown(left)}` : 'Expired'}
        </span>{' '}
        <span class="muted">({time(credentials.expiration)})</span>
      </p>
      <p class="muted">
        Role session <code>{session.assumedRoleArn}</code>
      </p>
      <div class="secret">
        <span class="secret-label">Access key id</span>
        <code class="secret-value" data-testid="access-key-id">
          {credentials.accessKeyId}
        </code>
        <span class="actions">
          <CopyButton text={credentials.accessKeyId} label="Copy access key id" />
        </span>
      </div>
      <Secret id="secret-access-key" label="Secret access key" value={credentials.secretAccessKey} />
      <Secret id="session-token" label="Session token" value={credentials.sessionToken} />
      <h4>Shell</h4>
      <div class="actions">
        <button type="button" aria-pressed={exportsShown} onClick={() => setExportsShown(!exportsShown)}>
          {exportsShown ? 'Hide export lines' : 'Show export lines'}
        </button>
        <CopyButton text={exports} label="Copy export lines" />
      </div>
      {exportsShown && <pre data-testid="export-lines">{exports}</pre>}
      <h4>AWS CLI profile (credential_process)</h4>
      <p class="hint">
        In <code>~/.aws/config</code>; the hallpass CLI then vends and caches credentials itself.
      </p>
      <pre data-testid="credential-process">{profile}</pre>
      <CopyButton text={profile} label="Copy profile" />
      <p>
        <button type="button" class="secondary" onClick={onForget}>
          Forget these credentials
        </button>
      </p>
    </section>
  );
}

/**
 * The two ways to use an allowed entitlement: credentials here, or the AWS console in a new tab
 * (its sign-in URL is a bearer secret: opened, never shown or stored).
 */
export function VendActions({
  body,
  label,
  onError,
}: {
  body: () => VendBody | null;
  label?: string;
  /** Told of each failure (and of null on a new try), to show the API's messages at their fields. */
  onError?: (error: Error | null) => void;
}) {
  const [vended, setVended] = useState<Vended | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [opened, setOpened] = useState('');

  const run = async (action: 'credentials' | 'console') => {
    const request = body();
    if (!request) return;
    setError(null);
    onError?.(null);
    setOpened('');
    setBusy(true);
    // Opened now, while the click still counts as the person's: browsers block a later window.open.
    const tab = action === 'console' ? window.open('', '_blank') : null;
    try {
      if (action === 'credentials') {
        setVended(await api<Vended>('POST', '/credentials', request));
      } else {
        const answer = await api<{ url: string; expiresAt: string }>('POST', '/console', request);
        if (tab) {
          tab.opener = null;
          tab.location.replace(answer.url);
          setOpened(
            `The AWS console opened in a new tab (the sign-in link works until ${time(answer.expiresAt)}).`,
          );
        } else {
          setOpened('The browser blocked the new tab: allow pop-ups for this page and try again.');
        }
      }
    } catch (failure) {
      tab?.close();
      setError(failure as Error);
      onError?.(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="vend">
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => run('credentials')}>
          {label ?? 'Get credentials'}
        </button>
        <button type="button" disabled={busy} onClick={() => run('console')}>
          Open AWS console
        </button>
      </div>
      {opened && <p role="status">{opened}</p>}
      <ErrorNote error={error} />
      {vended && <CredentialsView vended={vended} onForget={() => setVended(null)} />}
    </div>
  );
}

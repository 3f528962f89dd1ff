/**
 * The console's frame: a skip link, the navigation, who is signed in and sign-out, and the page the
 * address bar's fragment names (#/request, #/requests, #/approvals, #/break-glass, #/audit,
 * #/audit/sessions/<id>, #/slack). Only / is served: every page lives behind the fragment, so the API's
 * JSON 404 stays for every other path. Focus moves to the page's heading on each change.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { signIn, signInError, signOut, user } from './auth.ts';
import { entitlements, loadEntitlements } from './entitlements.ts';
import { ApprovalsPage } from './pages/approvals.tsx';
import { AuditPage, SessionStoryPage } from './pages/audit.tsx';
import { BreakGlassPage } from './pages/break-glass.tsx';
import { RequestPage } from './pages/request.tsx';
import { MyRequestsPage } from './pages/requests.tsx';
import { SlackPage } from './pages/slack.tsx';
import { store } from './store.ts';

const route = store(location.hash || '#/request');
window.addEventListener('hashchange', () => {
  route.value = location.hash || '#/request';
});

const PAGES = [
  { hash: '#/request', title: 'Request access', Page: RequestPage },
  { hash: '#/requests', title: 'My requests', Page: MyRequestsPage },
  { hash: '#/approvals', title: 'Approvals', Page: ApprovalsPage },
  { hash: '#/break-glass', title: 'Break glass', Page: BreakGlassPage },
  { hash: '#/audit', title: 'Audit', Page: AuditPage },
  { hash: '#/slack', title: 'Slack', Page: SlackPage },
] as const;

function SignedOut() {
  const error = signInError.use();
  return (
    <main id="main" class="signed-out">
      <h1>hallpass</h1>
      <p>Just-in-time access to AWS: ask for it, approve it, use it, audit it.</p>
      {error && (
        <p class="error-note" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        onClick={() => void signIn().catch((e: Error) => (signInError.value = e.message))}
      >
        Sign in
      </button>
    </main>
  );
}

export function App() {
  const heading = useRef<HTMLHeadingElement>(null);
  const me = user.use();
  const current = route.use();
  const all = entitlements.use();
  const story = /^#\/audit\/sessions\/([\w-]+)$/.exec(current);
  const page = PAGES.find((p) => p.hash === current) ?? (story ? undefined : PAGES[0]);
  const title = story ? 'Session story' : (page?.title ?? '');
  // Read once: the note stays for this visit of the page, the flag does not outlive it.
  const [resumed] = useState(() => sessionStorage.getItem('hallpass.resumed'));
  const first = useRef(true);

  useEffect(() => {
    if (me && !entitlements.value) void loadEntitlements();
    if (!me) entitlements.value = null;
  }, [me]);
  useEffect(() => {
    document.title = `${title} - hallpass`;
    // A new page takes the focus to its heading; the first one leaves it at the top (skip link first).
    if (!first.current) heading.current?.focus();
    first.current = false;
  }, [current, title]);
  useEffect(() => {
    if (resumed) sessionStorage.removeItem('hallpass.resumed');
  }, [resumed]);

  if (!me) return <SignedOut />;
  const hasBreakGlass = (all ?? []).some((e) => e.breakGlass.allowed);
  return (
    <>
      <button type="button" class="skip" onClick={() => heading.current?.focus()}>
        Skip to content
      </button>
      <header>
        <span class="brand">hallpass</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.filter((p) => p.hash !== '#/break-glass' || hasBreakGlass).map((p) => (
              <li key={p.hash}>
                <a
                  href={p.hash}
                  class={p.hash === '#/break-glass' ? 'nav-emergency' : undefined}
                  aria-current={current === p.hash || (story && p.hash === '#/audit') ? 'page' : undefined}
                >
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          Signed in as <strong>{me.name}</strong>
          {me.groups.length > 0 && <span class="muted"> ({me.groups.join(', ')})</span>}
        </span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {resumed && (
          <p class="note" role="status">
            Your sign-in had expired: you signed in again, and your form is as you left it.
          </p>
        )}
        {story ? <SessionStoryPage id={story[1] ?? ''} /> : page && <page.Page />}
      </main>
    </>
  );
}

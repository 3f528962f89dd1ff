/**
 * The local federation endpoint's pages: the "console" a sign-in lands on, naming the session it
 * acts as, and the refusal page. Plain HTML, no scripts or styles (the CSP is `default-src 'none'`);
 * everything shown that came from a request is escaped.
 */

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export const CONSOLE_TITLE = 'AWS console (local)';

type PageContent =
  | { arn: string; sessionExpiresAt: string; destination: string; issuer: string }
  | { error: string };

export function loginPage(content: PageContent): string {
  const body =
    'error' in content
      ? `<p>Sign-in refused: ${escapeHtml(content.error)}</p>`
      : `<dl>
<dt>Signed in as</dt><dd id="arn">${escapeHtml(content.arn)}</dd>
<dt>Console session expires</dt><dd id="session-expires">${escapeHtml(content.sessionExpiresAt)}</dd>
<dt>Destination</dt><dd id="destination">${escapeHtml(content.destination)}</dd>
<dt>Issuer</dt><dd id="issuer">${escapeHtml(content.issuer)}</dd>
</dl>`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${CONSOLE_TITLE}</title></head>
<body><h1>${CONSOLE_TITLE}</h1>
${body}
<p>hallpass local federation endpoint: a stand-in for AWS's sign-in, not a console.</p>
</body></html>
`;
}

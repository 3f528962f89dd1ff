/**
 * The dev issuer's pages: the device flow's (enter the code, confirm it, signed in), its errors, and
 * the dev sign-in page, where anyone may sign in as any `sub` with any groups. Plain HTML, no scripts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DevUser, type OidcCtx, type OidcInteraction, type OidcProvider, RESOURCE } from './oidc.ts';

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const page = (title: string, body: string) => `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - hallpass dev issuer</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .2rem}input[type=text]{width:100%;padding:.4rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}.note{color:#555;font-size:.9rem}.error{color:#b00020}</style>
</head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<p class="note">hallpass local dev issuer: anyone may sign in as anyone. Never use it for real access.</p>
</body></html>`;

/** A page as oidc-provider's answer (its koa context). */
const html = (ctx: OidcCtx, status: number, title: string, body: string) => {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = page(title, body);
};

/** oidc-provider's `features.deviceFlow` page sources. */
export const deviceFlowPages = {
  async userCodeInputSource(ctx: OidcCtx, form: string, _out: unknown, error?: Error) {
    const message = error
      ? '<p class="error">That code is not valid (wrong, expired or already used). Try again.</p>'
      : '<p>Enter the code that <code>hallpass login</code> shows.</p>';
    html(
      ctx,
      200,
      'Device sign-in',
      `${message}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`,
    );
  },
  async userCodeConfirmSource(ctx: OidcCtx, form: string, _client: unknown, _info: unknown, code: string) {
    html(
      ctx,
      200,
      'Confirm the device',
      `<p>Does your terminal show the code <strong><code>${escapeHtml(code)}</code></strong>?</p>${form}
<button type="submit" form="op.deviceConfirmForm">Yes, continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">No, abort</button>`,
    );
  },
  async successSource(ctx: OidcCtx) {
    html(
      ctx,
      200,
      'Signed in',
      '<p>You are signed in. Go back to your terminal; you may close this page.</p>',
    );
  },
};

/** oidc-provider's `renderError`. */
export async function renderError(
  ctx: OidcCtx,
  out: { error?: string; error_description?: string },
  error?: { statusCode?: number },
) {
  html(
    ctx,
    error?.statusCode ?? 400,
    'Sign-in failed',
    `<p class="error">${escapeHtml(out.error ?? 'error')}: ${escapeHtml(out.error_description ?? '')}</p>`,
  );
}

const signInPage = (uid: string, error?: string) =>
  page(
    'Sign in as a dev user',
    `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="sub">Subject (sub)</label><input type="text" id="sub" name="sub" required autofocus placeholder="alice">
<label for="groups">Groups (comma-separated)</label><input type="text" id="groups" name="groups" placeholder="engineers,approvers">
<label for="name">Name (optional)</label><input type="text" id="name" name="name" placeholder="Alice Doe">
<button type="submit">Sign in</button>
</form>`,
  );

const sendHtml = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
};

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

/**
 * The dev sign-in page at `/interaction/<uid>`: GET shows the form; POST `/interaction/<uid>/login`
 * signs in as the given `sub` and groups, consents to everything the CLI asked for, records the user
 * in `users` by grant, and hands back to oidc-provider. Any failure answers a page, never a stack.
 */
export function signInHandler(provider: OidcProvider, users: Map<string, DevUser>) {
  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string, action?: string) => {
    let details: OidcInteraction;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      return sendHtml(
        res,
        400,
        page('Sign-in expired', '<p class="error">Start again with <code>hallpass login</code>.</p>'),
      );
    }
    if (details.uid !== uid)
      return sendHtml(res, 400, page('Sign-in', '<p class="error">Unknown sign-in.</p>'));
    if (req.method === 'GET' && !action) return sendHtml(res, 200, signInPage(uid));
    if (req.method !== 'POST' || action !== 'login')
      return sendHtml(res, 405, page('Sign-in', '<p>Not allowed.</p>'));

    const form = await readForm(req);
    const sub = (form.get('sub') ?? '').trim();
    if (!sub || sub.length > 256)
      return sendHtml(res, 400, signInPage(uid, 'Type a subject (1 to 256 characters).'));
    const groups = (form.get('groups') ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    const name = (form.get('name') ?? '').trim();

    // The dev user consents to everything the CLI asked for.
    const clientId = String(details.params.client_id);
    const grant = new provider.Grant({ accountId: sub, clientId });
    const scope = typeof details.params.scope === 'string' ? details.params.scope : 'openid';
    grant.addOIDCScope(scope);
    grant.addResourceScope(RESOURCE, 'hallpass');
    const grantId = await grant.save();
    users.set(grantId, { sub, groups, ...(name ? { name } : {}) });
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: sub, remember: false }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };

  return (req: IncomingMessage, res: ServerResponse, uid: string, action?: string) => {
    interaction(req, res, uid, action).catch(() => {
      if (!res.headersSent)
        sendHtml(res, 500, page('Sign-in', '<p class="error">The dev issuer failed.</p>'));
      else res.end();
    });
  };
}

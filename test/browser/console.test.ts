/**
 * The web console (web/), in Debian's chromium against `npm start`'s stack: people sign in through
 * the dev issuer's login page, each in their own browser context, and do what the README's web
 * console section says they can: request, approve, vend, open the AWS console, deny, cancel, break
 * glass and review it, search the audit trail and read a session's story, by keyboard alone, on a
 * 360 px screen, and through an expired token. Screenshots of each page: test-artefacts/browser/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleWorld,
  completeIssuerLogin,
  type Person,
  poll,
  shot,
  startConsoleWorld,
} from './support.ts';

const alice: Person = { sub: 'alice', groups: ['engineers'], name: 'Alice Doe' };
const bob: Person = { sub: 'bob', groups: ['approvers'], name: 'Bob Roe' };
const carol: Person = { sub: 'carol', groups: ['auditors'], name: 'Carol Audit' };
const dave: Person = { sub: 'dave', groups: ['engineers', 'oncall'], name: 'Dave Oncall' };
const erin: Person = { sub: 'erin', groups: ['engineers', 'approvers'], name: 'Erin Both' };

let world: ConsoleWorld;

beforeAll(async () => {
  world = await startConsoleWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

/** Alice asks for prod-admin on the Request access page; answers the new request's id. */
async function askForProdAdmin(page: import('playwright-core').Page, justification: string): Promise<string> {
  await page.goto(`${world.base}#/request`);
  await page.getByLabel('Entitlement').selectOption('prod-admin');
  await page.getByLabel('Justification').fill(justification);
  await page.getByLabel('Ticket (optional)').fill('CHG-1234');
  await page.getByRole('button', { name: 'Ask for approval' }).click();
  const status = page.getByRole('status').filter({ hasText: 'Request' });
  await poll(() => status.textContent()).toMatch(/is pending/);
  return (await status.locator('code').textContent()) ?? '';
}

describe('the web console', { timeout: 90_000 }, () => {
  it('is served on the API origin with a strict CSP, no-referrer and nosniff; assets long-cached; other paths stay JSON 404s', async () => {
    const page = await fetch(world.base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /src="(\/assets\/app-\w+\.js)"/.exec(html)?.[1] as string;
    const asset = await fetch(new URL(script, world.base));
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const missing = await fetch(new URL('/assets/app-nothing.js', world.base));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(new URL('/requests', world.base))).status).toBe(404);
  });

  it('signs in through the dev issuer with PKCE, keeps the token out of the URL and localStorage, and signs out', async () => {
    const { page } = await world.signedIn(alice);
    await shot(page, '01-request-access');
    // The code and state left the address bar before the code was exchanged.
    expect(page.url()).not.toMatch(/code=|state=/);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('document.cookie')).toBe('');
    await poll(() => page.getByRole('heading', { name: /sandbox-readonly/ }).count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await poll(() => page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('request, approval by a second person in another browser, credentials masked until shown, then the AWS console', async () => {
    const a = await world.signedIn(alice);
    const id = await askForProdAdmin(a.page, 'Deploy the payments hotfix to production');

    const b = await world.signedIn(bob);
    await b.page.goto(`${world.base}#/approvals`);
    const card = b.page.locator(`li[data-request="${id}"]`);
    await poll(() => card.isVisible()).toBe(true);
    await poll(() => card.textContent()).toContain('Deploy the payments hotfix');
    await shot(b.page, '03-approvals-inbox');
    await card.getByLabel('Comment (optional)').fill('ok, go');
    await card.getByRole('button', { name: 'Approve' }).click();
    await poll(() => b.page.getByRole('status').first().textContent()).toMatch(/Approved .* now approved/);

    await a.page.goto(`${world.base}#/requests`);
    const mine = a.page.locator(`li[data-request="${id}"]`);
    await poll(() => mine.textContent()).toContain('Approvals: 1 of 1');
    await poll(() => mine.textContent()).toContain('Bob Roe');
    await shot(a.page, '04-my-requests-approved');
    await mine.getByRole('button', { name: 'Get credentials' }).click();
    await poll(() => mine.getByRole('timer').textContent()).toMatch(/Expires in \d+:\d\d/);
    // The secret is in no element until asked for; Copy puts it on the clipboard.
    await mine.getByRole('button', { name: 'Copy Secret access key' }).click();
    const secret = await a.page.evaluate<string>('navigator.clipboard.readText()');
    expect(secret.length).toBeGreaterThanOrEqual(30);
    expect(await a.page.content()).not.toContain(secret);
    await mine.getByRole('button', { name: 'Show Secret access key' }).click();
    expect(await mine.getByTestId('secret-access-key').textContent()).toBe(secret);
    await mine.getByRole('button', { name: 'Show export lines' }).click();
    expect(await mine.getByTestId('export-lines').textContent()).toContain(
      `export AWS_SECRET_ACCESS_KEY=${secret}`,
    );
    expect(await mine.getByTestId('credential-process').textContent()).toContain(
      `credential_process = hallpass credential-process prod-admin --request ${id}`,
    );
    await shot(a.page, '05-credentials');
    expect(await a.page.evaluate<string>('JSON.stringify(sessionStorage)')).not.toContain(secret);

    // The approval is used up: a second request, approved, goes to the console instead.
    const second = await askForProdAdmin(a.page, 'Look at the payments dashboards in the console');
    await b.page.reload();
    const next = b.page.locator(`li[data-request="${second}"]`);
    await next.getByRole('button', { name: 'Approve' }).click();
    await poll(() => b.page.getByRole('status').first().textContent()).toMatch(/now approved/);
    await a.page.goto(`${world.base}#/requests`);
    const usable = a.page.locator(`li[data-request="${second}"]`);
    const popup = a.context.waitForEvent('page');
    await usable.getByRole('button', { name: 'Open AWS console' }).click();
    const tab = await popup;
    await tab.waitForLoadState();
    expect(new URL(tab.url()).origin).not.toBe(new URL(world.base).origin);
    await poll(() => tab.content()).toContain('hallpass-prod-admin');
    await shot(tab, '06-aws-console-local-federation');
    await poll(() => usable.getByRole('status').textContent()).toContain('opened in a new tab');
  });

  it('lets an approver deny with a reason, which the requester then reads', async () => {
    const a = await world.signedIn(alice);
    const id = await askForProdAdmin(a.page, 'Drop the payments table to free some space');
    const b = await world.signedIn(bob);
    await b.page.goto(`${world.base}#/approvals`);
    const card = b.page.locator(`li[data-request="${id}"]`);
    await card.getByLabel('Reason to deny').fill('Not without a change ticket approved by the DBA');
    await card.getByRole('button', { name: 'Deny' }).click();
    await poll(() => b.page.getByRole('status').first().textContent()).toMatch(/Denied .* now denied/);
    await poll(() => card.count()).toBe(0);
    await a.page.goto(`${world.base}#/requests`);
    const mine = a.page.locator(`li[data-request="${id}"]`);
    await poll(() => mine.textContent()).toContain('denied');
    expect(await mine.textContent()).toContain('Bob Roe: “Not without a change ticket approved by the DBA”');
    expect(await mine.getByRole('button', { name: 'Get credentials' }).count()).toBe(0);
  });

  it('lets the requester cancel a pending request', async () => {
    const a = await world.signedIn(alice);
    const id = await askForProdAdmin(a.page, 'Rotate the production database password');
    await a.page.goto(`${world.base}#/requests`);
    const mine = a.page.locator(`li[data-request="${id}"]`);
    await mine.getByRole('button', { name: `Cancel request ${id}` }).click();
    await poll(() => mine.locator('.badge').first().textContent()).toBe('cancelled');
    expect(await mine.getByRole('button', { name: /Cancel request/ }).count()).toBe(0);
  });

  it("never offers approval of one's own request, and shows the server's refusal of a stale decision", async () => {
    const e = await world.signedIn(erin);
    const id = await askForProdAdmin(e.page, 'Erin needs production access for the audit export');
    await e.page.goto(`${world.base}#/approvals`);
    await poll(() => e.page.getByText('Loading…').count()).toBe(0);
    // The API leaves it out of her inbox; were it there, it would carry no decision buttons.
    const own = e.page.locator(`li[data-request="${id}"]`);
    expect(await own.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await own.getByRole('button', { name: 'Deny' }).count()).toBe(0);
    await shot(e.page, '07-own-request-no-approve');

    // Bob's inbox shows the request; Erin cancels it meanwhile; Bob's approval is refused (409).
    const b = await world.signedIn(bob);
    await b.page.goto(`${world.base}#/approvals`);
    const card = b.page.locator(`li[data-request="${id}"]`);
    await poll(() => card.isVisible()).toBe(true);
    await e.page.goto(`${world.base}#/requests`);
    await e.page.getByRole('button', { name: `Cancel request ${id}` }).click();
    await poll(() => e.page.locator(`li[data-request="${id}"] .badge`).first().textContent()).toBe(
      'cancelled',
    );
    await card.getByRole('button', { name: 'Approve' }).click();
    await poll(() => card.getByRole('alert').textContent()).toContain('409 conflict');
    await shot(b.page, '08-refused-decision');
  });

  it('break glass is marked as an emergency, forces a justification, and an auditor reviews it', async () => {
    const d = await world.signedIn(dave);
    await d.page.goto(`${world.base}#/break-glass`);
    await poll(() => d.page.getByRole('note').textContent()).toContain('Emergency access');
    await d.page.getByLabel('Justification (required)').fill('too short');
    await d.page.getByRole('checkbox').check();
    await d.page.getByRole('button', { name: 'Break glass: get credentials' }).click();
    // The API's message, at the field.
    await poll(() => d.page.locator('#bg-justification-error').textContent()).toBeTruthy();
    const justification = 'INC-42: payments API down, approvers unreachable at 3 am';
    await d.page.getByLabel('Justification (required)').fill(justification);
    await d.page.getByRole('button', { name: 'Break glass: get credentials' }).click();
    await poll(() => d.page.getByRole('timer').textContent()).toMatch(/Expires in/);
    await shot(d.page, '09-break-glass');

    const c = await world.signedIn(carol);
    await c.page.goto(`${world.base}#/audit`);
    const queued = c.page.locator('li[data-session]').filter({ hasText: justification });
    await poll(() => queued.count()).toBe(1);
    await shot(c.page, '10-review-queue');
    const sessionId = (await queued.getAttribute('data-session')) as string;
    await queued.getByLabel('unjustified').check();
    await queued.getByLabel('Comment').fill('Approvers were reachable on the phone bridge');
    await queued.getByRole('button', { name: 'Submit review' }).click();
    await poll(() => queued.count()).toBe(0);

    await c.page.goto(`${world.base}#/audit/sessions/${sessionId}`);
    const story = c.page.locator('ol.timeline');
    await poll(() => story.textContent()).toContain(`by breaking glass: “${justification}”`);
    expect(await story.textContent()).toContain(
      'Carol Audit reviewed it: unjustified “Approvers were reachable on the phone bridge”',
    );
  });

  it("searches sessions with the API's filters, pages through them, and tells a session's story from its events", async () => {
    const c = await world.signedIn(carol);
    await c.page.goto(`${world.base}#/audit`);
    await c.page.getByLabel('Principal (sub)').fill('alice');
    await c.page.getByLabel('Entitlement').fill('prod-admin');
    await c.page.getByRole('button', { name: 'Search' }).click();
    const rows = c.page.locator('tbody tr');
    await poll(() => rows.count()).toBeGreaterThanOrEqual(1);
    for (const row of await rows.all()) expect(await row.textContent()).toContain('prod-admin');
    await shot(c.page, '11-audit-search');

    // A bad filter: the API's message at its field.
    await c.page.getByLabel('Access key id').fill('not-a-key');
    await c.page.getByRole('button', { name: 'Search' }).click();
    await poll(() => c.page.locator('#f-accessKeyId-error').textContent()).toContain('access key id');
    await c.page.getByLabel('Access key id').fill('');

    // Paging: frank's 21 sessions (vended through the API), 20 a page, then the next one.
    const frank: Person = { sub: 'frank', groups: ['engineers'], name: 'Frank Many' };
    const jwt = await world.token(frank, 600);
    for (let i = 0; i < 21; i++) {
      const vend = await fetch(new URL('/v1/credentials', world.base), {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
        body: JSON.stringify({ entitlementId: 'sandbox-readonly' }),
      });
      expect(vend.status).toBe(200);
    }
    await c.page.getByLabel('Principal (sub)').fill('frank');
    await c.page.getByLabel('Entitlement').fill('');
    await c.page.getByRole('button', { name: 'Search' }).click();
    await poll(() => rows.count()).toBe(20);
    // A click that never landed (on a loaded machine the button was once detached from the DOM while
    // Playwright scrolled to it, and the click waited out its timeout) is tried again; one that
    // landed is not, or the next page would be asked for twice.
    const next = c.page.getByRole('button', { name: 'Next page' });
    for (let attempt = 1; ; attempt++) {
      try {
        await next.click({ timeout: 10_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    await poll(() => rows.count()).toBe(21);
    expect(await c.page.getByRole('button', { name: 'Next page' }).count()).toBe(0);
    await c.page.getByLabel('Principal (sub)').fill('alice');

    // The approved prod-admin session's story: asked, approved by Bob with his comment, issued.
    await c.page.getByLabel('Entitlement').fill('prod-admin');
    await c.page.getByRole('button', { name: 'Search' }).click();
    // Until the new search has answered, frank's 21 rows are still on the page: wait for alice's.
    await poll(async () => {
      const texts = await rows.allTextContents();
      return texts.length > 0 && texts.every((text) => text.includes('prod-admin'));
    }).toBe(true);
    await rows
      .last()
      .getByRole('link', { name: /Story of session/ })
      .click();
    const story = c.page.locator('ol.timeline');
    await poll(() => story.textContent()).toContain('Alice Doe asked for access');
    expect(await story.textContent()).toContain('Bob Roe approved: “ok, go”');
    expect(await story.textContent()).toContain('was issued credentials');
    await shot(c.page, '12-session-story');
  });

  it('completes the request form with the keyboard alone, with visible focus and the API messages at the fields', async () => {
    const a = await world.signedIn(alice);
    const page = a.page;
    await page.goto(`${world.base}#/request`);
    await page.reload();
    await page.getByLabel('Entitlement').waitFor();
    // Tab from the top: skip link first; Enter on it lands on the page heading.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    const tabTo = async (id: string) => {
      for (let i = 0; i < 40; i++) {
        if ((await page.evaluate('document.activeElement?.id')) === id) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await tabTo('entitlement');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
    await page.keyboard.press('ArrowDown'); // sandbox-readonly -> prod-admin (the catalog's order)
    await poll(() => page.getByLabel('Entitlement').inputValue()).toBe('prod-admin');
    await tabTo('justification');
    await page.keyboard.type('too short');
    await tabTo('ticket');
    await page.keyboard.press('Enter'); // submits the form
    await poll(() => page.locator('#justification-error').textContent()).toBeTruthy();
    expect(await page.getByLabel('Justification').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Justification').getAttribute('aria-describedby')).toContain(
      'justification-error',
    );
    await shot(page, '13-keyboard-validation');
    await tabTo('justification');
    await page.keyboard.type(' but now long enough to explain why');
    await tabTo('ticket');
    await page.keyboard.type('CHG-9');
    await page.keyboard.press('Enter');
    await poll(() => page.getByRole('status').filter({ hasText: 'Request' }).textContent()).toMatch(
      /is pending/,
    );
  });

  it('sends a person whose token expired mid-form to sign in again, and brings the form back as it was', async () => {
    const a = await world.signedIn(alice);
    const page = a.page;
    await page.goto(`${world.base}#/request`);
    await page.getByLabel('Entitlement').selectOption('prod-admin');
    await page.getByLabel('Justification').fill('Investigate the failed settlement batch of last night');
    await page.getByLabel('Ticket (optional)').fill('INC-77');
    // The token expires while the form is being filled in.
    const expired = await world.token(alice, -120);
    await page.evaluate(`sessionStorage.setItem('hallpass.token', ${JSON.stringify(expired)})`);
    await page.getByRole('button', { name: 'Ask for approval' }).click();
    await completeIssuerLogin(page, world.base, alice);
    // The code and state left the address bar before the code was exchanged.
    expect(page.url()).not.toMatch(/code=|state=/);
    await poll(() => page.getByLabel('Justification').inputValue()).toBe(
      'Investigate the failed settlement batch of last night',
    );
    expect(await page.getByLabel('Ticket (optional)').inputValue()).toBe('INC-77');
    expect(await page.getByLabel('Entitlement').inputValue()).toBe('prod-admin');
    expect(await page.getByRole('status').first().textContent()).toContain('your form is as you left it');
    await page.getByRole('button', { name: 'Ask for approval' }).click();
    await poll(() => page.getByRole('status').filter({ hasText: 'Request' }).textContent()).toMatch(
      /is pending/,
    );
  });

  it('holds its layout at 360 px wide', async () => {
    const a = await world.signedIn(alice, { width: 360 });
    for (const [hash, name] of [
      ['#/request', '14-narrow-request'],
      ['#/requests', '15-narrow-requests'],
      ['#/audit', '16-narrow-audit'],
    ] as const) {
      await a.page.goto(`${world.base}${hash}`);
      await a.page.waitForLoadState('networkidle');
      expect(await a.page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
      await shot(a.page, name);
    }
  });
});

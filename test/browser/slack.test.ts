/**
 * The web console's Slack page (issue 13) in Debian's chromium against `npm start`'s stack and its
 * real Slack routes: a Slack user types `/hallpass link` (a slash command signed with the stack's
 * signing secret, as Slack sends it), the person enters the code it answers on the Slack page, sees
 * the link, and removes it after confirming; the routes' refusals read as something to act on.
 * Screenshots: test-artefacts/browser/slack-*.png.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackHeaders, slashCommandBody } from '../../local/slack/payloads.ts';
import { readSlackSecrets } from '../../local/slack/secrets.ts';
import { type ConsoleWorld, type Person, poll, shot, startConsoleWorld } from './support.ts';

const alice: Person = { sub: 'alice', groups: ['engineers', 'approvers'], name: 'Alice Doe' };
const bob: Person = { sub: 'bob', groups: ['approvers'], name: 'Bob Roe' };
const TEAM = 'T0HALLPASS';

let world: ConsoleWorld;

beforeAll(async () => {
  world = await startConsoleWorld();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

/** `/hallpass link` typed by a Slack user, as Slack posts it: the one-time code it answers. */
async function linkCode(userId: string): Promise<string> {
  const secrets = readSlackSecrets(join(world.stack.stateDir, 'slack-secrets.json'));
  if (!secrets) throw new Error(`the stack kept no Slack secrets in ${world.stack.stateDir}`);
  const body = slashCommandBody({ teamId: TEAM, userId, text: 'link' });
  const answer = await fetch(`${world.stack.api}/slack/commands`, {
    method: 'POST',
    headers: { ...slackHeaders(secrets.signingSecret, body) },
    body,
  });
  expect(answer.status).toBe(200);
  const { response_type, text } = (await answer.json()) as { response_type: string; text: string };
  expect(response_type).toBe('ephemeral');
  const code = /\b([0-9A-Z]{5}-[0-9A-Z]{5})\b/.exec(text)?.[1];
  if (!code) throw new Error(`no link code in the answer to /hallpass link: ${text}`);
  return code;
}

async function openSlackPage(page: Page): Promise<void> {
  await page.goto(`${world.base}#/slack`);
  await poll(() => page.getByRole('heading', { name: 'Your Slack links' }).isVisible()).toBe(true);
  await poll(() => page.getByText('Loading…').count()).toBe(0);
}

const submitCode = async (page: Page, typed: string) => {
  await page.getByLabel('Link code').fill(typed);
  await page.getByRole('button', { name: 'Link', exact: true }).click();
};

describe('the Slack page', { timeout: 90_000 }, () => {
  it('is in the navigation and says how long Slack decisions use the groups of the last sign-in', async () => {
    const { page } = await world.signedIn(alice);
    await page.getByRole('navigation').getByRole('link', { name: 'Slack' }).click();
    await poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Slack');
    await poll(() => page.getByText('No Slack user is linked to you.').isVisible()).toBe(true);
    const groups = page.getByRole('region', { name: 'Your groups in Slack decisions' });
    expect(await groups.textContent()).toContain(
      'Slack approvals use the groups from your last sign-in to hallpass, for up to 24 hours',
    );
    // No link yet: hallpass keeps no groups for her.
    expect(await groups.textContent()).toMatch(/Slack decisions\s*none until you link a Slack user/);
    await shot(page, 'slack-01-empty');
  });

  it('links the Slack user of a code typed in lower case without the dash, then removes the link after asking', async () => {
    const { page } = await world.signedIn(alice);
    await openSlackPage(page);
    const code = await linkCode('U0ALICE');
    await submitCode(page, code.toLowerCase().replace('-', ''));
    const status = page.getByRole('status').filter({ hasText: 'Linked' });
    await poll(() => status.textContent()).toBe(
      `Linked Slack user U0ALICE in team ${TEAM}: your clicks in Slack now act as you.`,
    );
    const card = page.locator(`li[data-link="${TEAM}-U0ALICE"]`);
    await poll(() => card.isVisible()).toBe(true);
    expect(await card.textContent()).toContain(`Slack user U0ALICE in team ${TEAM}`);
    expect(await page.getByLabel('Link code').inputValue()).toBe('');
    // The link recorded the groups of Alice's token, just now.
    const groups = page.getByRole('region', { name: 'Your groups in Slack decisions' });
    await poll(() => groups.textContent()).toMatch(/Slack decisions\s*use these groups until/);
    await shot(page, 'slack-02-linked');

    // The link is the API's, not the page's: it is there after a reload.
    await page.reload();
    await poll(() => card.isVisible()).toBe(true);

    // A code works once.
    await submitCode(page, code);
    await poll(() => page.locator('#slack-code-error').textContent()).toContain(
      'That code is unknown, used or expired',
    );
    expect(await page.getByLabel('Link code').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate('document.activeElement?.id')).toBe('slack-code');

    // Remove asks first; "Keep it" keeps it, with the focus back on Remove.
    const remove = card.getByRole('button', {
      name: `Remove the link to Slack user U0ALICE in team ${TEAM}`,
    });
    await remove.click();
    await poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Yes, remove');
    await shot(page, 'slack-03-confirm-removal');
    await card.getByRole('button', { name: 'Keep it' }).click();
    await poll(() => page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe(
      `Remove the link to Slack user U0ALICE in team ${TEAM}`,
    );
    await remove.click();
    await card.getByRole('button', { name: 'Yes, remove' }).click();
    await poll(() => page.getByRole('status').filter({ hasText: 'Removed' }).textContent()).toBe(
      `Removed the link to Slack user U0ALICE in team ${TEAM}.`,
    );
    await poll(() => card.count()).toBe(0);
    expect(await page.evaluate('document.activeElement?.id')).toBe('slack-links-title');
    await page.reload();
    await poll(() => page.getByText('No Slack user is linked to you.').isVisible()).toBe(true);
  });

  it('refuses a code that cannot be one before asking the API, and a Slack user linked to someone else with what to do', async () => {
    const b = await world.signedIn(bob);
    await openSlackPage(b.page);
    await submitCode(b.page, await linkCode('U0BOB'));
    await poll(() => b.page.locator(`li[data-link="${TEAM}-U0BOB"]`).isVisible()).toBe(true);

    const { page } = await world.signedIn(alice);
    await openSlackPage(page);
    await submitCode(page, 'ABC-123');
    await poll(() => page.locator('#slack-code-error').textContent()).toContain(
      'A link code is 10 letters and digits, like ABCDE-12345',
    );
    // Bob's Slack user asks for a code again; Alice (who is not Bob) enters it.
    await submitCode(page, await linkCode('U0BOB'));
    const alert = page.getByRole('alert');
    await poll(() => alert.textContent()).toContain('409 slack_user_linked');
    expect(await alert.textContent()).toContain('They must type /hallpass unlink in Slack');
    expect(await page.locator('li[data-link]').count()).toBe(0);
    await shot(page, 'slack-04-linked-to-someone-else');
  });

  it('holds its layout at 360 px wide with a link', async () => {
    const { page } = await world.signedIn(alice, { width: 360 });
    await openSlackPage(page);
    await submitCode(page, await linkCode('U0ALICE2'));
    await poll(() => page.locator(`li[data-link="${TEAM}-U0ALICE2"]`).isVisible()).toBe(true);
    await page
      .locator(`li[data-link="${TEAM}-U0ALICE2"]`)
      .getByRole('button', { name: /^Remove/ })
      .click();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await shot(page, 'slack-05-narrow');
  });
});

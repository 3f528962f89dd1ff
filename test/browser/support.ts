/**
 * The web console in a real browser: Debian's chromium (/usr/bin/chromium, or CHROMIUM) driven by
 * playwright-core, against `npm start`'s stack (started in a mirror of the repository, as the CLI
 * tests do, so that it never shares serverless-esbuild's build folder with another stack). People
 * sign in through the dev issuer's own login page; each has their own browser context. Screenshots
 * go to test-artefacts/browser/ (git-ignored).
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { cleanEnv, REPO } from '../cli/support/cli.ts';
import { type LocalStack, startStack } from '../cli/support/stack.ts';

export const ARTEFACTS = join(REPO, 'test-artefacts', 'browser');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export interface Person {
  sub: string;
  groups: string[];
  name: string;
}

export interface Signed {
  context: BrowserContext;
  page: Page;
}

export interface ConsoleWorld {
  stack: LocalStack;
  /** The console's URL: the API's origin, `/`. */
  base: string;
  browser: Browser;
  /** A new browser context for `person`, signed in through the dev issuer's page, on Request access. */
  signedIn(person: Person, options?: { width?: number }): Promise<Signed>;
  /** A token of the stack's dev issuer (`npm run token`), e.g. an expired one. */
  token(person: Person, expiresIn: number): Promise<string>;
  close(): Promise<void>;
}

/** Signs in on the console's page: the Sign in button, then the dev issuer's login form. */
export async function signIn(page: Page, base: string, person: Person): Promise<void> {
  if (!page.url().startsWith(base)) await page.goto(base);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await completeIssuerLogin(page, base, person);
}

/** The dev issuer's login page, as a person fills it in; back on the console when it returns. */
export async function completeIssuerLogin(page: Page, base: string, person: Person): Promise<void> {
  await page.waitForURL(/\/interaction\//);
  await page.getByLabel('Subject (sub)').fill(person.sub);
  await page.getByLabel('Groups (comma-separated)').fill(person.groups.join(','));
  await page.getByLabel('Name (optional)').fill(person.name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.toString().startsWith(base) && !url.search.includes('code='));
  await poll(() => page.getByText('Signed in as').isVisible()).toBe(true);
}

/** expect.poll with the patience a loaded machine needs (the default gives up after 1 s). */
export const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 100 });

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });
}

export async function startConsoleWorld(): Promise<ConsoleWorld> {
  mkdirSync(ARTEFACTS, { recursive: true });
  const stack = await startStack();
  const base = `${new URL(stack.api).origin}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  const contexts: BrowserContext[] = [];
  return {
    stack,
    base,
    browser,
    async signedIn(person, options = {}) {
      const context = await browser.newContext({
        viewport: { width: options.width ?? 1100, height: 800 },
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      contexts.push(context);
      const page = await context.newPage();
      await signIn(page, base, person);
      return { context, page };
    },
    async token(person, expiresIn) {
      const args = [
        'run',
        '--silent',
        'token',
        '--',
        '--sub',
        person.sub,
        '--groups',
        person.groups.join(','),
      ];
      const { stdout } = await promisify(execFile)('npm', [...args, '--expires-in', String(expiresIn)], {
        cwd: REPO,
        env: cleanEnv({ HALLPASS_STATE_DIR: stack.stateDir }),
      });
      return stdout.trim();
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await stack.stop();
    },
  };
}

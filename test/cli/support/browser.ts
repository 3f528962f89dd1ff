/**
 * A browser, as far as the dev issuer's device sign-in needs one: fetch with a cookie jar, manual
 * redirects, and the self-submitting forms a browser's JavaScript would submit. It GETs the verification page, POSTs the code, confirms it, and signs in on
 * the dev sign-in page as whoever the test says, reading every form from the HTML it was served.
 */

export interface DevUser {
  sub: string;
  groups?: string[];
  name?: string;
}

interface Page {
  url: string;
  status: number;
  html: string;
}

/** The fields (hidden inputs included) and action of the form with `id`, or of the first form. */
export function readForm(
  html: string,
  base: string,
  id?: string,
): { action: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  const form = id ? forms.find((f) => f[1]?.includes(`id="${id}"`)) : forms[0];
  if (!form) throw new Error(`no form${id ? ` '${id}'` : ''} in:\n${html}`);
  const action = /action="([^"]*)"/.exec(form[1] ?? '')?.[1] ?? base;
  const fields: Record<string, string> = {};
  for (const input of (form[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
    const name = /name="([^"]*)"/.exec(input[1] ?? '')?.[1];
    if (name) fields[name] = /value="([^"]*)"/.exec(input[1] ?? '')?.[1] ?? '';
  }
  return { action: new URL(action.replace(/&amp;/g, '&'), base).href, fields };
}

export class Browser {
  private readonly cookies = new Map<string, string>();

  private async request(url: string, init: RequestInit = {}): Promise<Page> {
    let target = url;
    let options = init;
    for (let hops = 0; hops < 10; hops++) {
      const response = await fetch(target, {
        ...options,
        redirect: 'manual',
        headers: {
          ...(options.headers as Record<string, string>),
          cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const line of response.headers.getSetCookie()) {
        const pair = line.split(';')[0] ?? '';
        const at = pair.indexOf('=');
        const value = pair.slice(at + 1);
        if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(pair.slice(0, at));
        else this.cookies.set(pair.slice(0, at), value);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer();
        target = new URL(location, target).href;
        options = {}; // 302/303: the browser follows with a GET
        continue;
      }
      return { url: target, status: response.status, html: await response.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Pages that submit their own form on load (oidc-provider's form_post pages), as a browser runs them. */
  private async settle(page: Page): Promise<Page> {
    let current = page;
    for (let hops = 0; hops < 5 && /document\.forms\[0\]\.submit\(\)/.test(current.html); hops++) {
      const form = readForm(current.html, current.url);
      current = await this.post(form.action, form.fields);
    }
    return current;
  }

  private post(action: string, fields: Record<string, string>): Promise<Page> {
    return this.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async get(url: string): Promise<Page> {
    return this.settle(await this.request(url));
  }

  async submit(action: string, fields: Record<string, string>): Promise<Page> {
    return this.settle(await this.post(action, fields));
  }
}

/** Completes a device sign-in as `user`, from the verification URL and code `hallpass login` printed. */
export async function completeDeviceSignIn(
  verificationUri: string,
  userCode: string,
  user: DevUser,
): Promise<Page> {
  const browser = new Browser();
  // 1. The verification page: type the code.
  const entry = await browser.get(verificationUri);
  if (entry.status !== 200) throw new Error(`verification page answered ${entry.status}`);
  const codeForm = readForm(entry.html, entry.url);
  const confirm = await browser.submit(codeForm.action, { ...codeForm.fields, user_code: userCode });
  // 2. "Does your terminal show this code?": yes.
  if (!confirm.html.includes(userCode))
    throw new Error(`the confirmation page does not show the code:\n${confirm.html}`);
  const confirmForm = readForm(confirm.html, confirm.url, 'op.deviceConfirmForm');
  const signIn = await browser.submit(confirmForm.action, confirmForm.fields);
  // 3. The dev sign-in page: any sub, any groups.
  if (!signIn.html.includes('name="sub"'))
    throw new Error(`expected the dev sign-in page, got:\n${signIn.html}`);
  const signInForm = readForm(signIn.html, signIn.url);
  return browser.submit(signInForm.action, {
    ...signInForm.fields,
    sub: user.sub,
    groups: (user.groups ?? []).join(','),
    name: user.name ?? '',
  });
}

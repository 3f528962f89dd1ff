import { describe, expect, it } from 'vitest';
import { type ConsoleSignInInput, consoleSignInUrl } from '../../lib/adapters/federation.ts';
import { UpstreamUnavailableError } from '../../lib/errors.ts';

// Shaped like real ones: base64 secrets carry '+', '/' and '=', which must survive the query string.
const CREDENTIALS = {
  accessKeyId: 'ASIAEXAMPLEKEY000001',
  secretAccessKey: 'wJalr+XUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY=',
  sessionToken: 'FwoGZXIvYXdzEBQaDL+bj3VWv2u50NN/3yyLSASwYtWhPnGPMNmzZ==',
};
const SIGNIN_TOKEN = 'VCQgs5qZZt3Q6fn8Tr5EXAMPLEmLnwB7JjUc-SHwnUUWabcRdnWsi4DBn-dvC_x';
const SECRETS = [CREDENTIALS.secretAccessKey, CREDENTIALS.sessionToken, SIGNIN_TOKEN];

interface Sent {
  url: URL;
  init: RequestInit | undefined;
}

/** A fetch that records its calls and answers with `respond`. */
function fakeFetch(respond: (url: URL) => Response | Promise<Response>) {
  const calls: Sent[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    calls.push({ url, init });
    return respond(url);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const ok = () => Response.json({ SigninToken: SIGNIN_TOKEN });

function input(overrides: Partial<ConsoleSignInInput> = {}): ConsoleSignInInput {
  return {
    federationUrl: 'https://signin.aws.amazon.com/federation',
    issuer: 'https://hallpass.example.com/',
    destination: 'https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:',
    credentials: CREDENTIALS,
    ...overrides,
  };
}

/** The error a call rejects with, checked to say nothing secret. */
async function failure(call: Promise<unknown>): Promise<UpstreamUnavailableError> {
  const error = await call.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamUnavailableError);
  const told = JSON.stringify([String(error), (error as Error).stack, String((error as Error).cause)]);
  for (const secret of [...SECRETS, encodeURIComponent(CREDENTIALS.secretAccessKey), 'Session=']) {
    expect(told).not.toContain(secret);
  }
  return error as UpstreamUnavailableError;
}

describe('consoleSignInUrl', () => {
  it("asks getSigninToken with a GET and the session's credentials as the Session JSON", async () => {
    const { fetch, calls } = fakeFetch(ok);
    await consoleSignInUrl(input({ fetch }));

    expect(calls).toHaveLength(1);
    const { url, init } = calls[0] as Sent;
    expect(init?.method).toBe('GET');
    expect(init?.body).toBeUndefined();
    expect(init?.redirect).toBe('error');
    expect(`${url.origin}${url.pathname}`).toBe('https://signin.aws.amazon.com/federation');
    expect([...url.searchParams.keys()]).toEqual(['Action', 'Session']);
    expect(url.searchParams.get('Action')).toBe('getSigninToken');
    const session = JSON.parse(url.searchParams.get('Session') ?? '');
    expect(Object.keys(session)).toEqual(['sessionId', 'sessionKey', 'sessionToken']);
    expect(session).toEqual({
      sessionId: CREDENTIALS.accessKeyId,
      sessionKey: CREDENTIALS.secretAccessKey,
      sessionToken: CREDENTIALS.sessionToken,
    });
  });

  it('sends SessionDuration when given', async () => {
    const { fetch, calls } = fakeFetch(ok);
    await consoleSignInUrl(input({ fetch, sessionDurationSeconds: 7200 }));
    const url = (calls[0] as Sent).url;
    expect([...url.searchParams.keys()]).toEqual(['Action', 'SessionDuration', 'Session']);
    expect(url.searchParams.get('SessionDuration')).toBe('7200');
  });

  it('builds the login URL on the same endpoint with Issuer, Destination and the SigninToken', async () => {
    const { fetch } = fakeFetch(ok);
    const result = new URL(await consoleSignInUrl(input({ fetch })));

    expect(`${result.origin}${result.pathname}`).toBe('https://signin.aws.amazon.com/federation');
    expect([...result.searchParams.entries()]).toEqual([
      ['Action', 'login'],
      ['Issuer', 'https://hallpass.example.com/'],
      ['Destination', 'https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:'],
      ['SigninToken', SIGNIN_TOKEN],
    ]);
    expect(result.hash).toBe('');
  });

  it('puts no credential in the login URL', async () => {
    const { fetch } = fakeFetch(ok);
    const url = await consoleSignInUrl(input({ fetch }));
    for (const part of [CREDENTIALS.secretAccessKey, CREDENTIALS.sessionToken, CREDENTIALS.accessKeyId]) {
      expect(url).not.toContain(part);
      expect(url).not.toContain(encodeURIComponent(part));
    }
  });

  it("drops a query string or fragment configured on the endpoint's URL", async () => {
    const { fetch, calls } = fakeFetch(ok);
    const url = await consoleSignInUrl(
      input({ fetch, federationUrl: 'https://signin.amazonaws-us-gov.com/federation?x=1#y' }),
    );
    expect((calls[0] as Sent).url.searchParams.has('x')).toBe(false);
    expect(url.startsWith('https://signin.amazonaws-us-gov.com/federation?Action=login&')).toBe(true);
  });

  it('fails as upstream unavailable when the endpoint cannot be reached', async () => {
    const { fetch } = fakeFetch(() => {
      throw Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('connect ECONNREFUSED 1.2.3.4:443'), { code: 'ECONNREFUSED' }),
      });
    });
    const error = await failure(consoleSignInUrl(input({ fetch })));
    expect(error.message).toBe('federation endpoint: unreachable (TypeError (ECONNREFUSED))');
    expect(error.retryAfterSeconds).toBe(2);
  });

  it("does not repeat a fetch error's message, which can quote the URL and its secrets", async () => {
    const { fetch } = fakeFetch((url) => {
      throw new TypeError(`Failed to parse URL from ${url.href}`);
    });
    const error = await failure(consoleSignInUrl(input({ fetch })));
    expect((error.cause as Error).message).toBe('TypeError');
  });

  it('gives up after the timeout', async () => {
    const fetch = ((_url: URL, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof globalThis.fetch;
    const started = Date.now();
    const error = await failure(consoleSignInUrl(input({ fetch, timeoutMs: 50 })));
    expect(error.message).toBe('federation endpoint: no answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails on a refusal (400), without quoting the body, and not soon again', async () => {
    const { fetch } = fakeFetch(
      () => new Response(`Invalid credentials parameter ${CREDENTIALS.sessionToken}`, { status: 400 }),
    );
    const error = await failure(consoleSignInUrl(input({ fetch })));
    expect(error.message).toBe('federation endpoint: answered HTTP 400');
    expect(error.retryAfterSeconds).toBe(30);
  });

  it("fails on a server error, with the endpoint's Retry-After", async () => {
    const { fetch } = fakeFetch(() => new Response('busy', { status: 503, headers: { 'retry-after': '7' } }));
    const error = await failure(consoleSignInUrl(input({ fetch })));
    expect(error.message).toBe('federation endpoint: answered HTTP 503');
    expect(error.retryAfterSeconds).toBe(7);
  });

  it('fails on a redirect rather than following it', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 302, headers: { location: '/x' } }));
    const error = await failure(consoleSignInUrl(input({ fetch })));
    expect(error.message).toBe('federation endpoint: answered HTTP 302');
  });

  it('fails on an answer that is not JSON, without quoting it', async () => {
    const { fetch } = fakeFetch(() => new Response(`<html>${SIGNIN_TOKEN}</html>`, { status: 200 }));
    const error = await failure(consoleSignInUrl(input({ fetch })));
    expect(error.message).toBe('federation endpoint: answered something other than JSON');
  });

  it('fails on JSON without a SigninToken string', async () => {
    for (const body of ['{}', '{"SigninToken":""}', '{"SigninToken":42}', 'null', '[]']) {
      const { fetch } = fakeFetch(() => new Response(body, { status: 200 }));
      const error = await failure(consoleSignInUrl(input({ fetch })));
      expect(error.message).toBe('federation endpoint: answered without a SigninToken');
    }
  });
});

/**
 * The scheduled JWKS refresh with several issuers (issue 17): every configured issuer's key set is
 * fetched and written to its own item of the requests table (dynalite), each independently: an
 * issuer that is down is reported, by name, and the others are stored all the same. The function
 * logs one line per issuer and fails the invocation (Lambda's Errors metric) only after every issuer
 * had its run.
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createJwksStore, type JwksStore, jwksItemId } from '../../lib/adapters/jwks-store.ts';
import { refreshIssuerKeys } from '../../lib/use-cases/refresh-issuer-keys.ts';
import { type KeyServer, newSigningKey, type SigningKey, startKeyServer } from '../support/jwt.ts';
import { dynamodb, useIsolatedTables } from '../support/tables.ts';

interface Issuer {
  name: string;
  ks: KeyServer;
  key: SigningKey;
}
let people: Issuer;
let github: Issuer;
let partner: Issuer;
let tableName: string;
let store: JwksStore;

beforeAll(async () => {
  ({ requests: tableName } = await useIsolatedTables());
  store = createJwksStore({ client: dynamodb(), tableName });
  const start = async (name: string): Promise<Issuer> => {
    const key = await newSigningKey(`${name}-1`);
    return { name, key, ks: await startKeyServer([key.publicJwk]) };
  };
  [people, github, partner] = await Promise.all([start('primary'), start('github'), start('partner')]);
});
afterAll(() => Promise.all([people, github, partner].map((issuer) => issuer.ks.close())));
afterEach(async () => {
  vi.restoreAllMocks();
  for (const issuer of [people, github, partner]) {
    issuer.ks.setMode('ok');
    issuer.ks.setKeys([issuer.key.publicJwk]);
    await dynamodb().send(
      new DeleteItemCommand({ TableName: tableName, Key: { id: { S: jwksItemId(issuer.ks.issuer) } } }),
    );
  }
});

/** The issuers as Config's `issuers` lists them: github's by discovery, the others' by jwksUri. */
const configured = (...issuers: Issuer[]) => ({
  issuers: issuers.map(({ name, ks }) => ({
    name,
    issuer: ks.issuer,
    jwksUri: name === 'github' ? undefined : ks.jwksUri,
  })),
});
const refresh = (...issuers: Issuer[]) =>
  refreshIssuerKeys({ config: configured(...issuers), requests: { client: dynamodb(), tableName } });
const storedKids = async (issuer: Issuer) =>
  (
    await store.read({ issuer: issuer.ks.issuer, jwksUri: undefined, maxAgeMs: Number.POSITIVE_INFINITY })
  )?.jwks.keys.map((key) => key.kid);

describe('refreshIssuerKeys with several issuers', () => {
  it("stores every issuer's key set in its own item and reports each, in the issuers' order", async () => {
    const results = await refresh(people, github, partner);

    expect(results).toEqual([
      {
        name: 'primary',
        issuer: people.ks.issuer,
        ok: true,
        keys: 1,
        stored: true,
        jwksUri: people.ks.jwksUri,
      },
      {
        name: 'github',
        issuer: github.ks.issuer,
        ok: true,
        keys: 1,
        stored: true,
        jwksUri: github.ks.jwksUri,
      },
      {
        name: 'partner',
        issuer: partner.ks.issuer,
        ok: true,
        keys: 1,
        stored: true,
        jwksUri: partner.ks.jwksUri,
      },
    ]);
    expect(await storedKids(people)).toEqual(['primary-1']);
    expect(await storedKids(github)).toEqual(['github-1']);
    expect(await storedKids(partner)).toEqual(['partner-1']);
  });

  it("stores the other issuers' keys when one issuer is down, and names the one that failed", async () => {
    github.ks.setMode('error');

    const results = await refresh(people, github, partner);

    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['primary', true],
      ['github', false],
      ['partner', true],
    ]);
    expect(results[1]).toMatchObject({ issuer: github.ks.issuer, error: expect.any(Error) });
    expect(await storedKids(people)).toEqual(['primary-1']);
    expect(await storedKids(github)).toBeUndefined();
    expect(await storedKids(partner)).toEqual(['partner-1']);
  });

  it("leaves a failed issuer's stored set as it was, and replaces the others' with what they now publish", async () => {
    await refresh(people, github);
    const rotated = await newSigningKey('primary-2');
    people.ks.setKeys([rotated.publicJwk]);
    github.ks.setMode('not-a-jwks');

    const results = await refresh(people, github);

    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(await storedKids(people)).toEqual(['primary-2']);
    expect(await storedKids(github)).toEqual(['github-1']);
  });

  it('reports every issuer as failed when all are down, throwing nothing', async () => {
    people.ks.setMode('error');
    partner.ks.setMode('garbage');

    const results = await refresh(people, partner);

    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['primary', false],
      ['partner', false],
    ]);
  });
});

describe('the jwksRefresh function', () => {
  /** The function as a fresh container loads it, trusting people (primary) and github. */
  async function coldHandler() {
    process.env.HALLPASS_ISSUER = people.ks.issuer;
    process.env.HALLPASS_ISSUERS = JSON.stringify([
      { name: 'github', issuer: github.ks.issuer, audience: 'hallpass-ci' },
    ]);
    vi.resetModules();
    return (await import('../../functions/jwks-refresh.ts')).handler;
  }
  /** The JSON log lines written during `act`, as objects. */
  async function logged(act: () => Promise<unknown>) {
    const lines: Array<Record<string, unknown>> = [];
    const capture = (line: unknown) => {
      if (typeof line === 'string' && line.startsWith('{')) lines.push(JSON.parse(line));
    };
    vi.spyOn(console, 'log').mockImplementation(capture);
    vi.spyOn(console, 'error').mockImplementation(capture);
    const outcome: { value?: unknown; error?: unknown } = await act().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    return { lines: lines.filter((line) => String(line.event).startsWith('jwks.')), ...outcome };
  }
  let saved: NodeJS.ProcessEnv;
  beforeAll(() => {
    saved = { ...process.env };
  });
  afterAll(() => {
    process.env.HALLPASS_ISSUER = saved.HALLPASS_ISSUER;
    if (saved.HALLPASS_ISSUERS === undefined) delete process.env.HALLPASS_ISSUERS;
    else process.env.HALLPASS_ISSUERS = saved.HALLPASS_ISSUERS;
  });

  it('refreshes every configured issuer and logs one line for each', async () => {
    const handler = await coldHandler();

    const { lines, value } = await logged(() => handler());

    expect(value).toEqual({
      issuers: [
        { issuer: 'primary', keys: 1, stored: true },
        { issuer: 'github', keys: 1, stored: true },
      ],
    });
    expect(lines.map((line) => [line.event, line.issuer])).toEqual([
      ['jwks.refreshed', 'primary'],
      ['jwks.refreshed', 'github'],
    ]);
    expect(await storedKids(github)).toEqual(['github-1']);
  });

  it("fails the invocation naming the issuer that is down, after storing the other's keys", async () => {
    people.ks.setMode('error');
    const handler = await coldHandler();

    const { lines, error } = await logged(() => handler());

    // The function's own module graph (a fresh container): its error class is not this file's.
    expect(error).toMatchObject({
      name: 'UpstreamUnavailableError',
      upstream: 'jwks',
      message: 'the JWKS of primary could not be refreshed',
    });
    expect(lines.map((line) => [line.event, line.issuer, line.level])).toEqual([
      ['jwks.refresh_failed', 'primary', 'error'],
      ['jwks.refreshed', 'github', 'info'],
    ]);
    expect(await storedKids(github)).toEqual(['github-1']);
    expect(await storedKids(people)).toBeUndefined();
  });
});

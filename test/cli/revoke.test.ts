/**
 * FAKE SERVER. `hallpass revoke` and `hallpass done` against a small fake of the revocation routes
 * (POST /v1/sessions/{id}/revoke, POST /v1/revocations, GET /v1/sessions): what the CLI sends, what it
 * prints, and that `done` deletes only that entitlement's cached credentials. The CLI runs as a
 * subprocess; the answers pass the API's own zod schemas.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RevocationResponse, Session, SessionList } from '../../lib/schemas.ts';
import { cleanEnv, hallpass } from './support/cli.ts';

const FUTURE = '2099-01-01T00:00:00Z';
const session = (id: string, sub = 'carol') =>
  Session.parse({
    id,
    issuedAt: '2026-11-28T12:00:00Z',
    expiresAt: FUTURE,
    principal: { sub, name: sub, groups: ['engineers'] },
    entitlementId: 'sandbox-readonly',
    issuance: 'assume-role',
    roleArn: 'arn:aws:iam::111111111111:role/hallpass-sandbox-readonly',
    assumedRoleArn: `arn:aws:sts::111111111111:assumed-role/hallpass-sandbox-readonly/${sub}.${id}`,
    sessionName: `${sub}.${id}`,
    sourceIdentity: sub,
    accessKeyId: `ASIA${id.toUpperCase().padEnd(16, 'X')}`,
    durationSeconds: 900,
    sessionPolicy: null,
    policyArns: [],
    tags: {},
    requestId: null,
    approvers: [],
    breakGlass: null,
    client: { sourceIp: null, userAgent: null },
    revocation: null,
  });

const revoked = (id: string, reason: string) =>
  RevocationResponse.parse({
    revoked: [
      {
        ...session(id),
        revocation: { at: '2026-11-28T12:05:00Z', by: { sub: 'carol', name: 'carol' }, reason },
      },
    ],
    roles: [
      {
        roleArn: session(id).roleArn,
        scope: 'session',
        roleWideFallback: false,
        // A reason naming it makes the fake answer as when the canary saw the deny applied.
        propagation: reason.includes('observed')
          ? { status: 'observed', observedAt: '2026-11-28T12:05:02Z', reason: null }
          : { status: 'pending', observedAt: null, reason: 'the canary was not yet denied after 10 s' },
      },
    ],
    propagation: reason.includes('observed') ? 'observed' : 'pending',
  });

let server: Server;
let base: string;
let configDir: string;
const calls: Array<{ method: string; url: string; body: unknown }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? JSON.parse(text) : undefined;
      calls.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.setHeader('content-type', 'application/json');
      const url = req.url ?? '';
      if (req.method === 'GET' && url.startsWith('/v1/sessions'))
        return res.end(
          JSON.stringify(SessionList.parse({ items: [session('s1'), session('s2')], nextCursor: null })),
        );
      const one = /^\/v1\/sessions\/([^/]+)\/revoke$/.exec(url);
      if (one) return res.end(JSON.stringify(revoked(one[1] as string, body.reason)));
      if (url === '/v1/revocations') return res.end(JSON.stringify(revoked('s9', body.reason)));
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'no', requestId: 'r' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}/v1`;
  configDir = mkdtempSync(join(tmpdir(), 'hallpass-revoke-'));
});

afterAll(() => {
  server.close();
  rmSync(configDir, { recursive: true, force: true });
});

beforeEach(() => {
  calls.length = 0;
});

const env = () =>
  cleanEnv({ HALLPASS_URL: base, HALLPASS_TOKEN: 'fake.bearer.token', HALLPASS_CONFIG_DIR: configDir });

describe('hallpass revoke', () => {
  it('revokes one session with its reason, and says propagation is pending', async () => {
    const result = await hallpass(['revoke', 's1', '--reason', 'laptop stolen'], env());
    expect(result.code).toBe(0);
    expect(calls).toEqual([
      { method: 'POST', url: '/v1/sessions/s1/revoke', body: { reason: 'laptop stolen' } },
    ]);
    expect(result.stdout).toContain('Revoked session s1');
    expect(result.stderr).toContain('IAM had not applied it yet');
  });

  it('says when the deny was seen applied', async () => {
    const result = await hallpass(['revoke', 's1', '--reason', 'observed now'], env());
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the deny was seen applied at 2026-11-28T12:05:02Z');
  });

  it('revokes a person with --principal', async () => {
    const result = await hallpass(
      ['revoke', '--principal', 'alice', '--reason', 'offboarded', '--json'],
      env(),
    );
    expect(result.code).toBe(0);
    expect(calls[0]).toEqual({
      method: 'POST',
      url: '/v1/revocations',
      body: { principal: 'alice', reason: 'offboarded' },
    });
    expect(JSON.parse(result.stdout).propagation).toBe('pending');
  });

  it('refuses no target, two targets, or no reason, before calling the API', async () => {
    expect((await hallpass(['revoke', '--reason', 'x'], env())).code).toBe(2);
    expect((await hallpass(['revoke', 's1', '--principal', 'a', '--reason', 'x'], env())).code).toBe(2);
    expect((await hallpass(['revoke', 's1'], env())).code).toBe(2);
    expect(calls).toEqual([]);
  });
});

describe('hallpass done', () => {
  it("revokes the caller's live sessions of the entitlement and deletes only its cached credentials", async () => {
    const cache = join(configDir, 'cache', 'default');
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'sandbox-readonly.abc.json'), '{}');
    writeFileSync(join(cache, 'prod-admin.def.json'), '{}');
    const result = await hallpass(['done', 'sandbox-readonly'], env());
    expect(result.code).toBe(0);
    expect(calls[0]?.url).toMatch(/^\/v1\/sessions\?.*entitlementId=sandbox-readonly/);
    expect(calls.slice(1).map((c) => c.url)).toEqual(['/v1/sessions/s1/revoke', '/v1/sessions/s2/revoke']);
    expect(readdirSync(cache)).toEqual(['prod-admin.def.json']);
    expect(result.stdout).toContain('Deleted 1 cached credential(s) of sandbox-readonly');
  });
});

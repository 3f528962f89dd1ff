/**
 * Fail closed: when the audit record cannot be written no credentials leave (503), and when the
 * issuer's keys cannot be fetched no token passes (503, SECURITY.md row 7).
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalSts } from '../../local/sts/server.ts';
import { invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { allItems, useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

type Handler = Parameters<typeof invoke>[0];
let sts: LocalSts;
let auditTable: string;

beforeAll(async () => {
  sts = await useLocalSts();
  auditTable = (await useIsolatedTables()).audit;
});

async function freshHandler(env: Record<string, string>): Promise<Handler> {
  vi.resetModules();
  Object.assign(process.env, env);
  return (await import('../../functions/credentials.ts')).handler as unknown as Handler;
}

afterEach(() => {
  delete process.env.HALLPASS_JWKS_URI;
  process.env.HALLPASS_AUDIT_TABLE = auditTable;
  vi.restoreAllMocks();
});

describe('the audit write fails', () => {
  it('returns 503 with Retry-After and no credentials, and logs which key went unreturned without its secret', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const vend = await freshHandler({ HALLPASS_AUDIT_TABLE: 'hallpass-no-such-table' });
    const issuedBefore = sts.issuedAccessKeyIds().length;

    const answer = await invoke(vend, {
      path: '/v1/credentials',
      token: await tokenFor('alice', { groups: ['engineers'] }),
      body: { entitlementId: 'sandbox-readonly' },
    });

    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('upstream_unavailable');
    expect(answer.headers['retry-after']).toBeDefined();
    expect(answer.raw).not.toContain('ASIA');
    expect(answer.body.credentials).toBeUndefined();
    const minted = sts.issuedAccessKeyIds().slice(issuedBefore);
    expect(minted).toHaveLength(1);
    const unaudited = lines.map((l) => JSON.parse(l)).find((l) => l.event === 'credentials.unaudited');
    expect(unaudited?.accessKeyId).toBe(minted[0]);
    process.env.HALLPASS_AUDIT_TABLE = auditTable;
    expect(await allItems('audit')).toHaveLength(0);
  });
});

describe("the issuer's JWKS is unreachable", () => {
  it('row 7: answers 503 upstream_unavailable, never a pass, and calls no STS', async () => {
    const vend = await freshHandler({ HALLPASS_JWKS_URI: 'http://127.0.0.1:9/jwks.json' });
    const issuedBefore = sts.issuedAccessKeyIds().length;
    const answer = await invoke(vend, {
      path: '/v1/credentials',
      token: await tokenFor('alice', { groups: ['engineers'] }),
      body: { entitlementId: 'sandbox-readonly' },
    });
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('upstream_unavailable');
    expect(answer.headers['retry-after']).toBeDefined();
    expect(sts.issuedAccessKeyIds()).toHaveLength(issuedBefore);
  });
});

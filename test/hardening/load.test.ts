/**
 * The load script at CI size: 200 mixed requests (request, approve, vend, list, read, deny, cancel;
 * races on approvals and on single-use vends; 5% bad) at 20 concurrent callers, through the route
 * handlers against a local stack of its own. Zero 5xx, every status one API.md allows for its call,
 * no approval used more than maxUses, zero invariant violations. The full size runs by hand:
 * `tsx scripts/load.ts --requests 1000 --concurrency 50`.
 */
import { expect, it } from 'vitest';
import { formatReport, runLoad } from '../../scripts/load.ts';

const requests = Number(process.env.HALLPASS_LOAD_REQUESTS ?? 200);
const concurrency = Number(process.env.HALLPASS_LOAD_CONCURRENCY ?? 20);

it(`serves ${requests} mixed requests at concurrency ${concurrency} with no 5xx and no invariant violation`, async () => {
  const report = await runLoad({ requests, concurrency, badRate: 0.05, seed: 7, maxSeconds: 120 });
  process.stderr.write(`${formatReport(report)}\n`);
  expect(report.requests).toBe(requests);
  expect(report.fiveXx).toBe(0);
  expect(report.unexpected).toEqual([]);
  expect(report.races.overConsumed).toEqual([]);
  expect(report.invariants.violations).toEqual([]);
  // The mix did what it is for: races happened, credentials were issued and all of them audited.
  expect(report.races.vendRaces + report.races.approvalRaces).toBeGreaterThan(0);
  expect(report.invariants.counts.returned).toBeGreaterThan(0);
  expect(report.invariants.counts.sessions).toBeGreaterThanOrEqual(report.invariants.counts.returned);
  expect(report.ok).toBe(true);
}, 180_000);

it('serves mixed requests over HTTP, through the API as serverless-offline serves it, with no 5xx and no invariant violation', async () => {
  const report = await runLoad({
    http: true,
    requests: 150,
    concurrency: 10,
    badRate: 0.05,
    seed: 11,
    maxSeconds: 120,
  });
  process.stderr.write(`${formatReport(report)}\n`);
  expect(report.requests).toBe(150);
  expect(report.fiveXx).toBe(0);
  expect(report.unexpected).toEqual([]);
  expect(report.races.overConsumed).toEqual([]);
  expect(report.invariants.violations).toEqual([]);
  expect(report.invariants.counts.returned).toBeGreaterThan(0);
  expect(report.ok).toBe(true);
}, 240_000);

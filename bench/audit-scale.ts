/**
 * 4. Audit scale: the p50 latency of one page (50) of the audit query, for each filter, against an
 * audit table holding 1k records and then 100k (5k with --quick), in dynalite over loopback.
 *
 * The records measured are the same at both sizes: each filter's target (a principal, an
 * entitlement, a role, a request, break glass, the newest day) matches 60 records; everything else
 * is background that lands in other index partitions. A query served by an index reads its own
 * partition only, so its latency should not grow with the table: auditScaleRatio is the worst
 * filter's p50 at the large size over its p50 at 1k (goal <= 1.5). A scan would grow 100-fold.
 */
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { sessionItem } from '../lib/adapters/audit-table.ts';
import { toItem } from '../lib/adapters/dynamo-item.ts';
import { parseCatalog } from '../lib/core/catalog.ts';
import type { Session } from '../lib/core/session.ts';
import type { SessionsQuery } from '../lib/schemas.ts';
import { type QueryDeps, querySessions } from '../lib/use-cases/query-audit.ts';
import { ensureTables } from '../local/dynamodb.ts';
import type { Stack } from './stack.ts';
import { percentile } from './stats.ts';

export interface AuditScaleFigures {
  auditQueryP50Ms: { '1k': number | null; '100k': number | null };
  auditScaleRatio: number | null;
  auditScaleLargeSize: number;
  auditQueryP50ByFilterMs: Record<string, { small: number; large: number; ratio: number }>;
  auditLoadSeconds: number;
  note: string;
}

const TARGET = 60;
const DAY = 86400_000;
const NOW = Date.now();
const TARGETS = {
  principal: 'target-principal',
  entitlementId: 'target-entitlement',
  roleArn: 'arn:aws:iam::333333333333:role/target-role',
  requestId: 'rtargetrequest',
};

const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function session(i: number, kind: 'background' | keyof typeof TARGETS | 'breakGlass' | 'today'): Session {
  // Background records spread over 30 days, never on the newest day, in 500 principals and 20 roles.
  const issued = kind === 'today' ? NOW - (i % 3600) * 1000 : NOW - DAY - (i % (29 * 86400)) * 1000;
  const sub = kind === 'principal' ? TARGETS.principal : `user-${i % 500}`;
  return {
    id: `b${String(i).padStart(15, '0')}`,
    issuedAt: iso(issued),
    expiresAt: iso(issued + 900_000),
    principal: { sub, name: sub, groups: ['engineers'] },
    entitlementId: kind === 'entitlementId' ? TARGETS.entitlementId : `entitlement-${i % 20}`,
    issuance: 'assume-role',
    roleArn: kind === 'roleArn' ? TARGETS.roleArn : `arn:aws:iam::111111111111:role/role-${i % 20}`,
    assumedRoleArn: 'arn:aws:sts::111111111111:assumed-role/role/x',
    sessionName: `${sub}.x`,
    sourceIdentity: sub,
    accessKeyId: `ASIA${String(i).padStart(16, '0')}`,
    durationSeconds: 900,
    sessionPolicy: null,
    policyArns: [],
    tags: {},
    requestId: kind === 'requestId' ? TARGETS.requestId : null,
    approvers: [],
    breakGlass:
      kind === 'breakGlass'
        ? { justification: 'bench', review: { status: 'pending', reviewer: null, at: null, comment: null } }
        : null,
    client: { sourceIp: null, userAgent: null },
  };
}

/** The records of a table of `size`: TARGET per filter target, the rest background. */
function* records(size: number): Generator<Session> {
  let i = 0;
  for (const kind of [...Object.keys(TARGETS), 'breakGlass', 'today'] as const) {
    for (let n = 0; n < TARGET; n++) yield session(i++, kind as keyof typeof TARGETS);
  }
  while (i < size) yield session(i++, 'background');
}

async function load(client: DynamoDBClient, table: string, size: number): Promise<void> {
  const source = records(size);
  const next = (): WriteRequest[] => {
    const batch: WriteRequest[] = [];
    while (batch.length < 25) {
      const r = source.next();
      if (r.done) break;
      batch.push({ PutRequest: { Item: toItem(sessionItem(r.value, 400)) } });
    }
    return batch;
  };
  const worker = async () => {
    for (let batch = next(); batch.length; batch = next()) {
      let pending: Record<string, WriteRequest[]> | undefined = { [table]: batch };
      while (pending && Object.keys(pending).length) {
        const out: { UnprocessedItems?: Record<string, WriteRequest[]> } = await client.send(
          new BatchWriteItemCommand({ RequestItems: pending }),
        );
        pending = out.UnprocessedItems;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const FILTERS: Record<string, Partial<SessionsQuery>> = {
  principal: { principal: TARGETS.principal },
  entitlementId: { entitlementId: TARGETS.entitlementId },
  roleArn: { roleArn: TARGETS.roleArn },
  accessKeyId: { accessKeyId: `ASIA${String(5).padStart(16, '0')}` },
  requestId: { requestId: TARGETS.requestId },
  breakGlass: { breakGlass: 'true' },
  timeRange: { from: iso(NOW - 3600_000) },
};

/**
 * p50 per filter and size, measured side by side: every round runs each filter on both tables,
 * alternating which goes first, so that load on the machine falls on both alike.
 */
const CURSOR_KEY = Buffer.alloc(32, 7);

async function p50PerFilter(
  deps: Record<'small' | 'large', QueryDeps>,
  rounds: number,
): Promise<Record<'small' | 'large', Record<string, number>>> {
  const auditor = { sub: 'bench-auditor', name: 'bench', groups: ['auditors'], claims: {} };
  const samples = { small: {} as Record<string, number[]>, large: {} as Record<string, number[]> };
  for (let round = 0; round < rounds; round++) {
    for (const [name, filter] of Object.entries(FILTERS)) {
      const order = round % 2 ? (['large', 'small'] as const) : (['small', 'large'] as const);
      for (const size of order) {
        const query = { limit: 50, format: 'json', ...filter } as SessionsQuery;
        const started = performance.now();
        const page = await querySessions(deps[size], auditor, query);
        const elapsed = performance.now() - started;
        if (round === 0 && page.items.length === 0) throw new Error(`the ${name} query found nothing`);
        // The first round warms up.
        if (round > 0) {
          samples[size][name] ??= [];
          samples[size][name].push(elapsed);
        }
      }
    }
  }
  const p50 = (of: Record<string, number[]>) =>
    Object.fromEntries(Object.entries(of).map(([name, s]) => [name, percentile(s, 50)]));
  return { small: p50(samples.small), large: p50(samples.large) };
}

export async function measureAuditScale(
  stack: Stack,
  options: { quick?: boolean } = {},
): Promise<AuditScaleFigures> {
  const large = options.quick ? 5_000 : 100_000;
  const rounds = options.quick ? 8 : 40;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stack.urls.dynamodb,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const catalog = parseCatalog(
    {
      auditorGroups: ['auditors'],
      entitlements: [
        {
          id: 'bench',
          roleArn: 'arn:aws:iam::111111111111:role/bench',
          requesterGroups: ['engineers'],
          maxDurationSeconds: 3600,
          defaultDurationSeconds: 900,
          approval: { required: false },
        },
      ],
    },
    { maxSessionSeconds: 3600 },
  );
  const started = performance.now();
  const deps = {} as Record<'small' | 'large', QueryDeps>;
  for (const [label, size] of [
    ['small', 1_000],
    ['large', large],
  ] as const) {
    const tables = await ensureTables(client, `scale${size}`);
    const audit = tables.AuditTable as string;
    await load(client, audit, size);
    deps[label] = {
      catalog,
      audit: { client, tableName: audit, retentionDays: 400 },
      cursorKey: async () => CURSOR_KEY,
      now: () => new Date(),
    };
  }
  const results = await p50PerFilter(deps, rounds);
  const loadSeconds = (performance.now() - started) / 1000;
  client.destroy();

  const byFilter = Object.fromEntries(
    Object.keys(FILTERS).map((name) => {
      const small = results.small?.[name] ?? Number.NaN;
      const big = results.large?.[name] ?? Number.NaN;
      return [name, { small: round2(small), large: round2(big), ratio: round2(big / small) }];
    }),
  );
  const median = (values: number[]) => percentile(values, 50);
  return {
    auditQueryP50Ms: {
      '1k': round2(median(Object.values(byFilter).map((f) => f.small))),
      '100k': round2(median(Object.values(byFilter).map((f) => f.large))),
    },
    auditScaleRatio: Math.max(...Object.values(byFilter).map((f) => f.ratio)),
    auditScaleLargeSize: large,
    auditQueryP50ByFilterMs: byFilter,
    auditLoadSeconds: round2(loadSeconds),
    note: `p50 of a page of 50 per filter at 1k and ${large} records; ratio = worst filter`,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Everything a use case needs from the outside world, built once per container (cold start) and
 * passed in: unit tests pass mocks, integration tests real clients pointed at local endpoints. The
 * SDK clients take their endpoints from the SDK's own conventions (AWS_ENDPOINT_URL_STS,
 * AWS_ENDPOINT_URL_DYNAMODB), so one build talks to AWS or to any implementation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditTable } from './adapters/audit-table.ts';
import type { RequestsTable } from './adapters/requests-table.ts';
import { type Catalog, catalog } from './catalog.ts';
import { type Config, config } from './config.ts';

export interface Deps {
  config: Config;
  catalog: Catalog;
  dynamodb: DynamoDBClient;
  audit: AuditTable;
  requests: RequestsTable;
  now: () => Date;
}

/**
 * Options of every SDK client: bounded retries (the SDK's standard mode, exponential backoff with
 * jitter) well inside a function's time budget. Only the vend function builds an STS client (see
 * functions/credentials.ts): the others neither load nor bundle it.
 */
export const CLIENT_OPTIONS = {
  maxAttempts: 3,
  // throwOnRequestTimeout: without it the SDK only warns when the request timeout passes.
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
} as const;

export function buildDeps(cfg: Config): Deps {
  const dynamodb = new DynamoDBClient(CLIENT_OPTIONS);
  const retentionDays = cfg.auditRetentionDays;
  return {
    config: cfg,
    catalog: catalog(),
    dynamodb,
    audit: { client: dynamodb, tableName: cfg.tables.audit, retentionDays },
    requests: { client: dynamodb, tableName: cfg.tables.requests, retentionDays },
    now: () => new Date(),
  };
}

let cached: Deps | undefined;

/** The container's dependencies, built on first use. */
export function deps(): Deps {
  cached ??= buildDeps(config());
  return cached;
}

/**
 * Local DynamoDB: dynalite (an open-source implementation of the DynamoDB API over HTTP), and the
 * tables created from serverless.yml's own definitions: one source of truth for the schema.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { parse as parseYaml } from 'yaml';

const require = createRequire(import.meta.url);

export interface LocalDynamo {
  url: string;
  close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1:port, in memory or persisting under `path`. */
export async function startDynalite(options: { port: number; path?: string }): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface CfnTable {
  Type: string;
  Properties: {
    TableName: string;
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    KeySchema: CreateTableCommandInput['KeySchema'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    BillingMode?: string;
  };
}

/**
 * The CreateTable inputs of serverless.yml's DynamoDB tables for a stage. Only what CreateTable takes
 * is kept: PITR, SSE, TTL and deletion protection are account-side settings that dynalite lacks.
 */
export function tableDefinitions(
  stage: string,
  file = 'serverless.yml',
): Record<string, CreateTableCommandInput> {
  const document = parseYaml(readFileSync(file, 'utf8')) as {
    service: string;
    resources: { Resources: Record<string, CfnTable> };
  };
  const tables: Record<string, CreateTableCommandInput> = {};
  for (const [logicalId, resource] of Object.entries(document.resources.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const p = resource.Properties;
    tables[logicalId] = {
      TableName: p.TableName.replace('${self:service}', document.service).replace('${sls:stage}', stage),
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
      BillingMode: 'PAY_PER_REQUEST',
    };
  }
  return tables;
}

/** The names of a stage's tables, as the functions' HALLPASS_AUDIT_TABLE and HALLPASS_REQUESTS_TABLE. */
export function tableNames(stage: string): { audit: string; requests: string } {
  const tables = tableDefinitions(stage);
  return {
    audit: tables.AuditTable?.TableName as string,
    requests: tables.RequestsTable?.TableName as string,
  };
}

/** Creates each table that does not exist yet; returns the table names by logical id. */
export async function ensureTables(client: DynamoDBClient, stage: string): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const [logicalId, definition] of Object.entries(tableDefinitions(stage))) {
    const TableName = definition.TableName as string;
    names[logicalId] = TableName;
    try {
      await client.send(new DescribeTableCommand({ TableName }));
      continue;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  return names;
}

/**
 * The issuer's JWKS kept in the requests table (item `meta#jwks#<SHA-256 of the issuer URL>`), so
 * that a cold start reads the keys with one GetItem (which also opens the DynamoDB connection the
 * vend needs anyway) instead of a round trip to the issuer. The item is only a cache of what the
 * issuer publishes: written by the scheduled refresh (functions/jwks-refresh.ts) and by an
 * authenticator that has just fetched the keys itself, never from anything a caller sent.
 *
 * Why it can be trusted (README "Configuration", HALLPASS_JWKS_STORE):
 * - only what hallpass fetched itself from the configured issuer's jwks_uri is written, and only when
 *   both are https (http on the loopback, for local use): a cleartext fetch is never persisted;
 * - only public keys of asymmetric types are kept (no `d`, no `oct`), at most 64 KiB;
 * - a read is used only if it names the configured issuer (and the configured HALLPASS_JWKS_URI, if
 *   set), and its `fetchedAt` is neither in the future nor older than the authenticator's maximum
 *   age: a key the issuer withdrew stops being served from here within that bound;
 * - the stored jwks_uri is never fetched: refetches use the configured or discovered one, so a
 *   forged item cannot outlive the next refresh;
 * - IAM: of hallpass's roles, only the vend role and the refresh role may write items under
 *   `meta#jwks#`: every other write grant on the table names the items it may touch (serverless.yml).
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';

export interface JsonWebKeySet {
  keys: Array<Record<string, unknown>>;
}

/** A key set as fetched from the issuer: when (ms since the epoch), and from where. */
export interface StoredJwks {
  issuer: string;
  jwksUri: string;
  fetchedAt: number;
  jwks: JsonWebKeySet;
}

export interface JwksStore {
  /** The stored set if it may be used now (see `usable`), else undefined; throws if unreadable. */
  read(expect: {
    issuer: string;
    jwksUri: string | undefined;
    maxAgeMs: number;
  }): Promise<StoredJwks | undefined>;
  /** Stores the set unless a newer one is there; returns false when it may not be stored. */
  write(jwks: StoredJwks): Promise<boolean>;
}

export const JWKS_ITEM_PREFIX = 'meta#jwks#';
const MAX_STORED_BYTES = 64 * 1024;
const PUBLIC_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
// JWK members of private keys (RFC 7518 6.2.2, 6.3.2, 6.4; RFC 8037): never stored.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The item's key: a fixed-length hash of the issuer URL. */
export const jwksItemId = (issuer: string) =>
  `${JWKS_ITEM_PREFIX}${createHash('sha256').update(issuer).digest('base64url')}`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http to the loopback (local stacks): the only origins a persisted set may come from. */
export function persistableUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname));
  } catch {
    return false;
  }
}

/** The public asymmetric keys of a JWKS, or undefined if it is not one (or has none). */
export function publicKeys(jwks: unknown): JsonWebKeySet | undefined {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return undefined;
  const kept = keys.filter(
    (key): key is Record<string, unknown> =>
      typeof key === 'object' &&
      key !== null &&
      !Array.isArray(key) &&
      PUBLIC_KEY_TYPES.has((key as { kty?: unknown }).kty as string) &&
      PRIVATE_MEMBERS.every((member) => !(member in key)),
  );
  return kept.length > 0 ? { keys: kept } : undefined;
}

/** Whether a stored set may be used now, for this issuer (and configured JWKS URI). */
export function usable(
  stored: StoredJwks,
  expect: { issuer: string; jwksUri: string | undefined; maxAgeMs: number },
  now: number,
): boolean {
  return (
    stored.issuer === expect.issuer &&
    (expect.jwksUri === undefined || stored.jwksUri === expect.jwksUri) &&
    persistableUrl(stored.issuer) &&
    persistableUrl(stored.jwksUri) &&
    // Never a set dated in the future (it could outlast the refresh that would replace it).
    stored.fetchedAt <= now &&
    now - stored.fetchedAt < expect.maxAgeMs
  );
}

/** The store in the requests table (built once per container in lib/deps.ts). */
export function createJwksStore(table: { client: DynamoDBClient; tableName: string }): JwksStore {
  const { client, tableName } = table;
  return {
    async read(expect) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { id: { S: jwksItemId(expect.issuer) } } }),
      );
      if (!Item?.jwks?.S || !Item.issuer?.S || !Item.jwksUri?.S || !Item.fetchedAt?.N) return undefined;
      if (Item.jwks.S.length > MAX_STORED_BYTES) return undefined;
      let jwks: JsonWebKeySet | undefined;
      try {
        jwks = publicKeys(JSON.parse(Item.jwks.S));
      } catch {
        return undefined;
      }
      if (!jwks) return undefined;
      const stored = {
        issuer: Item.issuer.S,
        jwksUri: Item.jwksUri.S,
        fetchedAt: Number(Item.fetchedAt.N),
        jwks,
      };
      return usable(stored, expect, Date.now()) ? stored : undefined;
    },

    async write(set) {
      const jwks = publicKeys(set.jwks);
      const body = jwks && JSON.stringify(jwks);
      if (!body || body.length > MAX_STORED_BYTES) return false;
      if (!persistableUrl(set.issuer) || !persistableUrl(set.jwksUri)) return false;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: jwksItemId(set.issuer) },
              issuer: { S: set.issuer },
              jwksUri: { S: set.jwksUri },
              fetchedAt: { N: String(set.fetchedAt) },
              jwks: { S: body },
            },
            // Never replace a newer set with an older one (two containers refreshing at once), but
            // always one dated in the future, which no refresh could otherwise replace.
            ConditionExpression: 'attribute_not_exists(id) OR fetchedAt < :fetchedAt OR fetchedAt > :now',
            ExpressionAttributeValues: {
              ':fetchedAt': { N: String(set.fetchedAt) },
              ':now': { N: String(Date.now()) },
            },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      return true;
    },
  };
}

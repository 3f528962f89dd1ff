/**
 * Plain JSON values to and from DynamoDB's attribute values: strings, numbers, booleans, null, lists
 * and maps, which is all hallpass stores. Small enough not to need @aws-sdk/util-dynamodb.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function toAttribute(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('cannot store a non-finite number');
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  if (typeof value === 'object') return { M: toItem(value as Record<string, unknown>) };
  throw new TypeError(`cannot store a ${typeof value}`);
}

export function toItem(record: Record<string, unknown>): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) item[key] = toAttribute(value);
  return item;
}

export function fromAttribute(attribute: AttributeValue): Json {
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return Number(attribute.N);
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.NULL) return null;
  if (attribute.L) return attribute.L.map(fromAttribute);
  if (attribute.M) return fromItem(attribute.M);
  if (attribute.B) return Buffer.from(attribute.B).toString('base64');
  throw new TypeError('unsupported attribute type');
}

export function fromItem(item: Record<string, AttributeValue>): { [key: string]: Json } {
  return Object.fromEntries(Object.entries(item).map(([key, value]) => [key, fromAttribute(value)]));
}

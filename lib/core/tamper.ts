/**
 * Tampering with the audit trail, seen on the audit table's stream. A session record (key
 * `session#<AccessKeyId>`) is written once by the vend function and then changes in two ways only:
 * its review (one `review` attribute added to a break-glass session that had none) and its removal
 * by DynamoDB's TTL. Anything else (a rewrite, a dropped attribute, a delete by anyone) is tampering:
 * the notify function logs it as `audit.tampered`, and a CloudWatch alarm counts those lines.
 * Pure: stream images in, a finding out.
 */

type Image = Record<string, unknown>;

export interface StreamChange {
  eventName?: string;
  oldImage?: Image;
  newImage?: Image;
  /** The stream record's userIdentity: present on TTL removals only. */
  userIdentity?: { type?: string; principalId?: string };
}

export interface Tampering {
  key: string;
  change: 'modified' | 'removed';
  /** Attribute names whose value differs between the old and new image, sorted. */
  changed: string[];
}

const SESSION_PREFIX = 'session#';

function keyOf(image: Image | undefined): string | undefined {
  const pk = image?.pk as { S?: unknown } | string | undefined;
  if (typeof pk === 'string') return pk;
  return typeof pk?.S === 'string' ? pk.S : undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a).filter((k) => (a as Image)[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => (b as Image)[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => Object.hasOwn(b, k) && deepEqual((a as Image)[k], (b as Image)[k]));
}

function changedAttributes(before: Image, after: Image): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((name) => !deepEqual(before[name], after[name])).sort();
}

const isBreakGlass = (image: Image): boolean =>
  deepEqual(image.breakGlass, { S: 'true' }) || image.breakGlass === 'true';

/** DynamoDB's TTL deletes as the service principal; nobody else can present that identity. */
const byTtl = (c: StreamChange): boolean =>
  c.userIdentity?.type === 'Service' && c.userIdentity.principalId === 'dynamodb.amazonaws.com';

/** The tampering a stream record shows, or null for a new record, the review, a TTL expiry or a non-session item. */
export function tamperingOf(change: StreamChange): Tampering | null {
  const key = keyOf(change.newImage) ?? keyOf(change.oldImage);
  if (!key?.startsWith(SESSION_PREFIX)) return null;
  if (change.eventName === 'REMOVE') return byTtl(change) ? null : { key, change: 'removed', changed: [] };
  if (change.eventName !== 'MODIFY') return null;
  const after = change.newImage ?? {};
  if (!change.oldImage) return { key, change: 'modified', changed: Object.keys(after).sort() };
  const changed = changedAttributes(change.oldImage, after);
  const isReview =
    changed.length === 1 &&
    changed[0] === 'review' &&
    change.oldImage.review === undefined &&
    after.review !== undefined &&
    isBreakGlass(change.oldImage);
  // The revocation (issue 14): one `revocation` attribute added to a session that had none.
  const isRevocation =
    changed.length === 1 &&
    changed[0] === 'revocation' &&
    change.oldImage.revocation === undefined &&
    after.revocation !== undefined;
  return isReview || isRevocation ? null : { key, change: 'modified', changed };
}

/**
 * Encodings of a principal into the character sets STS accepts, for SourceIdentity, RoleSessionName
 * and tag values. Pure.
 *
 * Replacing bad characters would let two people share an identity (`a|b` and `a_b`), and
 * SourceIdentity is what CloudTrail attributes every later action to. So every character outside a
 * safe set becomes `=HH` (its UTF-8 bytes in hex), `=` itself included: the mapping is one-to-one.
 * A result that is too long keeps a prefix and appends a marker and a hash of the whole value.
 */
import { createHash } from 'node:crypto';

function hexEscape(value: string, safe: RegExp): string {
  let out = '';
  for (const char of value) {
    if (safe.test(char)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8'))
      out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The longest prefix of whole characters (never half a surrogate pair) within `max` UTF-16 units. */
function prefix(text: string, max: number): string {
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max) break;
    out += char;
  }
  return out;
}

function fitLength(encoded: string, original: string, max: number, marker: string): string {
  if (encoded.length <= max) return encoded;
  const hash = createHash('sha256').update(original, 'utf8').digest('hex');
  // Room for the marker and 16 hex digits of hash; a very small `max` keeps only hash digits.
  if (max <= 17) return hash.slice(0, max);
  return `${prefix(encoded, max - 17)}${marker}${hash.slice(0, 16)}`;
}

// `+` and `,` are valid in SourceIdentity but never produced by hexEscape(): free to use as markers.
const IDENTITY_SAFE = /^[A-Za-z0-9_.@-]$/;

/** SourceIdentity (2-64 of [\w+=,.@-], never starting with `aws:`) for a principal. */
export function encodeSourceIdentity(principal: string): string {
  const encoded = fitLength(hexEscape(principal, IDENTITY_SAFE), principal, 64, ',');
  return encoded.length < 2 ? `${encoded},` : encoded;
}

/** The principal part of a RoleSessionName: the SourceIdentity encoding, shortened to `max`. */
export function encodeSessionNamePrefix(principal: string, max: number): string {
  return fitLength(hexEscape(principal, IDENTITY_SAFE), principal, max, ',');
}

// Letters, digits and spaces pass through; `/` and `+` are valid in tag values but never produced.
const TAG_SAFE = /^[\p{L}\p{N}_.:@ -]$/u;

/** A tag value (0-256 of [\p{L}\p{Z}\p{N}_.:/=+\-@]) that names a principal one-to-one. */
export function encodeTagValue(value: string): string {
  return fitLength(hexEscape(value, TAG_SAFE), value, 256, '/');
}

/**
 * The `hallpass:principal` tag value: the tag encoding, and also one ARN path segment, since a
 * policy may use it as `${aws:PrincipalTag/hallpass:principal}` in a resource (the example catalog's
 * S3 prefix). So a shortened value is marked with `+`, not `/`, and a sub of only `.` or `..` has its
 * dots escaped too. Still one-to-one: `=` is always escaped, `+` never kept.
 */
export function encodePrincipalTag(sub: string): string {
  const escaped = sub === '.' || sub === '..' ? sub.replaceAll('.', '=2E') : hexEscape(sub, TAG_SAFE);
  return fitLength(escaped, sub, 256, '+');
}

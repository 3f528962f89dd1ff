import { describe, expect, it } from 'vitest';
import {
  encodePrincipalTag,
  encodeSessionNamePrefix,
  encodeSourceIdentity,
  encodeTagValue,
} from '../../../lib/core/sts-encoding.ts';
import { randomString, seededRandom } from '../fixtures.ts';

// STS's own rules (STS API reference), written out independently of lib/core/sts-limits.ts.
const STS_IDENTITY = /^[\w+=,.@-]{2,64}$/;
const STS_SESSION_NAME_CHARS = /^[\w+=,.@-]*$/;
const STS_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

// Characters that pass through, characters STS refuses, the escape and marker characters
// themselves, Latin-1, other scripts, combining marks, controls and characters outside the BMP.
const ALPHABET = [
  'a',
  'Z',
  '7',
  '_',
  '.',
  '@',
  '-',
  '+',
  '=',
  ',',
  '/',
  ':',
  '|',
  ' ',
  '*',
  '"',
  '$',
  '{',
  '}',
  '\\',
  '\t',
  '\n',
  '\u0000',
  'é',
  'ß',
  'Ω',
  'ж',
  '日',
  '\u0301',
  '\u00a0',
  '😀',
];
const SAMPLES = 3000;

function generated(seed: number, maxLength: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: SAMPLES }, () => randomString(random, ALPHABET, maxLength));
}

/** Asserts that no two different inputs share an encoding. */
function expectOneToOne(inputs: readonly string[], encode: (value: string) => string): void {
  const owners = new Map<string, string>();
  for (const input of inputs) {
    const encoded = encode(input);
    const owner = owners.get(encoded);
    if (owner !== undefined) expect({ encoded, input }).toEqual({ encoded, input: owner });
    owners.set(encoded, input);
  }
}

describe('encodeSourceIdentity', () => {
  it('keeps a plain email address as it is', () => {
    const identity = encodeSourceIdentity('alice.smith@example.com');

    expect(identity).toBe('alice.smith@example.com');
  });

  it('escapes characters STS refuses as =HH of their UTF-8 bytes', () => {
    const identity = encodeSourceIdentity('a|b');

    expect(identity).toBe('a=7Cb');
  });

  it('gives a|b, a_b and a=7Cb three different identities', () => {
    const identities = ['a|b', 'a_b', 'a=7Cb'].map(encodeSourceIdentity);

    expect(new Set(identities).size).toBe(3);
  });

  it('escapes = itself, so an escaped-looking input cannot impersonate another', () => {
    const identity = encodeSourceIdentity('a=7Cb');

    expect(identity).toBe('a=3D7Cb');
  });

  it('escapes the + of an email address rather than keeping it', () => {
    const identity = encodeSourceIdentity('alice+ops@example.com');

    expect(identity).toBe('alice=2Bops@example.com');
  });

  it('tells alice+ops@example.com from alice=2Bops@example.com', () => {
    const plus = encodeSourceIdentity('alice+ops@example.com');
    const lookalike = encodeSourceIdentity('alice=2Bops@example.com');

    expect(plus).not.toBe(lookalike);
  });

  it('encodes a non-ASCII character as its UTF-8 bytes', () => {
    const identity = encodeSourceIdentity('José');

    expect(identity).toBe('Jos=C3=A9');
  });

  it('tells a precomposed é from an e with a combining accent', () => {
    const composed = encodeSourceIdentity('Jos\u00e9');
    const decomposed = encodeSourceIdentity('Jose\u0301');

    expect(composed).not.toBe(decomposed);
  });

  it('never starts with aws:', () => {
    const identity = encodeSourceIdentity('aws:admin');

    expect(identity.toLowerCase().startsWith('aws:')).toBe(false);
  });

  it('keeps a 64-character result whole', () => {
    const identity = encodeSourceIdentity('x'.repeat(64));

    expect(identity).toBe('x'.repeat(64));
  });

  it('shortens a long input to a 47-character prefix, a comma and 16 hex digits of its hash', () => {
    const identity = encodeSourceIdentity('x'.repeat(65));

    expect(identity).toMatch(/^x{47},[0-9a-f]{16}$/);
  });

  it('gives two long inputs that share their first 100 characters different identities', () => {
    const common = 'x'.repeat(100);

    const first = encodeSourceIdentity(`${common}-first`);
    const second = encodeSourceIdentity(`${common}-second`);

    expect(first).not.toBe(second);
  });

  it('shortens an input whose escapes make it too long', () => {
    const identity = encodeSourceIdentity('日'.repeat(10));

    expect(identity).toHaveLength(64);
  });

  it('pads a one-character input to the two characters STS requires', () => {
    const identity = encodeSourceIdentity('a');

    expect(identity).toBe('a,');
  });

  it('always yields 2-64 characters of [\\w+=,.@-] for generated inputs of 1-300 characters', () => {
    const inputs = generated(1, 300).filter((input) => input.length > 0);

    const bad = inputs.map(encodeSourceIdentity).filter((identity) => !STS_IDENTITY.test(identity));

    expect(bad).toEqual([]);
  });

  it('is one-to-one over generated short inputs', () => {
    const inputs = generated(2, 8).filter((input) => input.length > 0);

    expectOneToOne(inputs, encodeSourceIdentity);
  });

  it('is one-to-one over generated inputs long enough to be hashed', () => {
    const inputs = generated(3, 120).filter((input) => input.length > 0);

    expectOneToOne(inputs, encodeSourceIdentity);
  });
});

describe('encodeSessionNamePrefix', () => {
  it('keeps a short principal as its SourceIdentity encoding', () => {
    const prefix = encodeSessionNamePrefix('alice+ops@example.com', 47);

    expect(prefix).toBe('alice=2Bops@example.com');
  });

  it('shortens a 300-character principal to exactly max characters', () => {
    const prefix = encodeSessionNamePrefix('p'.repeat(300), 47);

    expect(prefix).toMatch(/^p{30},[0-9a-f]{16}$/);
  });

  it('respects every max from 17 to 64 for generated inputs', () => {
    const random = seededRandom(4);
    const tooLong: Array<{ input: string; max: number; prefix: string }> = [];

    for (let i = 0; i < SAMPLES; i++) {
      const input = randomString(random, ALPHABET, 200);
      const max = 17 + Math.floor(random() * 48);
      const prefix = encodeSessionNamePrefix(input, max);
      if (prefix.length > max || !STS_SESSION_NAME_CHARS.test(prefix)) tooLong.push({ input, max, prefix });
    }

    expect(tooLong).toEqual([]);
  });
});

describe('encodeTagValue', () => {
  it('keeps letters of any script, digits and spaces', () => {
    const value = encodeTagValue('Zoë Müller 日本 42');

    expect(value).toBe('Zoë Müller 日本 42');
  });

  it('escapes a character STS accepts in tags but uses as a marker', () => {
    const value = encodeTagValue('a+b/c');

    expect(value).toBe('a=2Bb=2Fc');
  });

  it('escapes a character STS refuses in tags', () => {
    const value = encodeTagValue('team*');

    expect(value).toBe('team=2A');
  });

  it('gives a|b, a_b and a=7Cb three different tag values', () => {
    const values = ['a|b', 'a_b', 'a=7Cb'].map(encodeTagValue);

    expect(new Set(values).size).toBe(3);
  });

  it('shortens a 300-character value to 256: a prefix, a slash and 16 hex digits of its hash', () => {
    const value = encodeTagValue('v'.repeat(300));

    expect(value).toMatch(/^v{239}\/[0-9a-f]{16}$/);
  });

  it('always stays within 256 characters of the STS tag charset for generated inputs', () => {
    const inputs = generated(5, 400);

    const bad = inputs.map(encodeTagValue).filter((value) => !STS_TAG_VALUE.test(value));

    expect(bad).toEqual([]);
  });

  it('is one-to-one over generated inputs', () => {
    const inputs = [...generated(6, 8), ...generated(7, 300)];

    expectOneToOne(inputs, encodeTagValue);
  });
});

describe('shortening never breaks a character or the limit', () => {
  it('shortens a long value of letters outside the BMP without splitting a character', () => {
    const encoded = encodeTagValue('𝒜'.repeat(200));

    expect(encoded.length).toBeLessThanOrEqual(256);
    expect(encoded).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
    expect(encoded).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('respects a max too small to hold the hash marker', () => {
    expect(encodeSessionNamePrefix('x'.repeat(100), 10)).toHaveLength(10);
  });
});

describe('encodePrincipalTag', () => {
  it('is the tag encoding for a sub that fits', () => {
    expect(encodePrincipalTag('auth0|42')).toBe(encodeTagValue('auth0|42'));
  });

  it('marks a shortened value with +, keeping it one ARN path segment', () => {
    const value = encodePrincipalTag('auth0|'.repeat(42));

    expect(value).toMatch(/^[^/]{239}\+[0-9a-f]{16}$/);
  });

  it('escapes the dots of a sub that is . or .., which would be a path step', () => {
    expect([encodePrincipalTag('.'), encodePrincipalTag('..')]).toEqual(['=2E', '=2E=2E']);
  });

  it('never has a slash and stays within 256 characters of the STS tag charset for generated inputs', () => {
    const inputs = [...generated(8, 400), '.', '..'];

    const bad = inputs
      .map(encodePrincipalTag)
      .filter((value) => !STS_TAG_VALUE.test(value) || value.includes('/'));

    expect(bad).toEqual([]);
  });

  it('is one-to-one over generated inputs', () => {
    const inputs = [...generated(9, 8), ...generated(10, 300), '.', '..', '=2E', '=2E=2E'];

    expectOneToOne(inputs, encodePrincipalTag);
  });
});

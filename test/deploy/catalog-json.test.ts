/**
 * The packaged catalog: deploy/catalog-json.cjs (the serverless.yml variable that packaging, deploy
 * and serverless-offline resolve) validates the YAML catalog with lib/core/catalog.ts and writes the
 * result as JSON with its SHA-256; a function given that hash (HALLPASS_CATALOG_SHA256) reads the file
 * without running the schema again, and refuses any other content.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalog } from '../../lib/adapters/catalog-file.ts';
import { parseCatalog } from '../../lib/core/catalog.ts';
import { ConfigError } from '../../lib/errors.ts';
import { thrown } from '../support/errors.ts';
import { catalogDocument, prodDocument, sandboxDocument } from '../unit/fixtures.ts';

type Resolver = (context: {
  resolveVariable: (name: string) => Promise<string>;
}) => Promise<{ path: string; sha256: string }>;
const packageCatalog: Resolver = createRequire(import.meta.url)('../../deploy/catalog-json.cjs');

/** What serverless.yml's `${file(./deploy/catalog-json.cjs)}` gives for the catalog at `source`. */
const packaged = (source: string) =>
  packageCatalog({
    resolveVariable: async (name) => {
      if (name !== 'param:catalog') throw new Error(`unexpected variable ${name}`);
      return source;
    },
  });

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-catalog-json-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `document` as a YAML (JSON is YAML) catalog file and returns its path. */
function catalogFile(name: string, document: unknown): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

/** The ConfigError `load` throws (fails the test if it throws none). */
const refusal = (load: () => unknown): ConfigError => thrown(ConfigError, load);

describe('packaging the catalog (deploy/catalog-json.cjs)', () => {
  it('writes what the validation returned, defaults filled in, and gives the SHA-256 of the file', async () => {
    const { path, sha256: hash } = await packaged('catalog/example.yaml');

    const written = readFileSync(path);
    expect(path).toMatch(/^\.hallpass\/catalog\/example-[0-9a-f]{16}\.json$/);
    expect(hash).toBe(sha256(written));
    const example = parse(readFileSync('catalog/example.yaml', 'utf8'));
    expect(JSON.parse(written.toString())).toEqual(parseCatalog(example, { maxSessionSeconds: 3600 }));
    // The approval defaults the example leaves out are written, not left to the functions.
    expect(JSON.parse(written.toString()).entitlements[1].approval).toMatchObject({ maxUses: 1 });
  });

  it('refuses an invalid catalog, naming the field, so that nothing unvalidated is packaged', async () => {
    const bad = catalogFile(
      'bad-role',
      catalogDocument(sandboxDocument({ roleArn: 'not-an-arn' }), prodDocument()),
    );

    await expect(packaged(bad)).rejects.toThrow(/entitlements\[0\] \(sandbox-readonly\)\.roleArn: /);
  });
});

describe('a function reading the packaged catalog (loadCatalog with HALLPASS_CATALOG_SHA256)', () => {
  it('reads the catalog packaging validated, as parseCatalog returned it', async () => {
    const { path, sha256: hash } = await packaged('catalog/example.yaml');
    const example = parse(readFileSync('catalog/example.yaml', 'utf8'));

    expect(loadCatalog(path, { maxSessionSeconds: 3600, sha256: hash })).toEqual(
      parseCatalog(example, { maxSessionSeconds: 3600 }),
    );
  });

  it('refuses the file once it differs from what packaging wrote: a group added', async () => {
    const { path, sha256: hash } = await packaged('catalog/example.yaml');
    const changed = JSON.parse(readFileSync(path, 'utf8'));
    changed.entitlements[0].requesterGroups.push('everyone');
    const copy = join(dir, 'changed.json');
    writeFileSync(copy, `${JSON.stringify(changed)}\n`);

    const error = refusal(() => loadCatalog(copy, { maxSessionSeconds: 3600, sha256: hash }));
    expect(error.message).toContain('is not the one packaging validated');
    expect(error.message).toContain(hash);
  });

  it('refuses a YAML file given a hash: only the packaged JSON is read without the schema', () => {
    const file = catalogFile('plain', catalogDocument(sandboxDocument(), prodDocument()));
    const hash = sha256(readFileSync(file));

    expect(refusal(() => loadCatalog(file, { maxSessionSeconds: 3600, sha256: hash })).message).toContain(
      'is not the one packaging validated',
    );
  });

  it('still checks what depends on its own settings: a lower HALLPASS_MAX_SESSION_SECONDS', async () => {
    const long = catalogFile(
      'long',
      catalogDocument(sandboxDocument({ maxDurationSeconds: 3600 }), prodDocument()),
    );
    const { path, sha256: hash } = await packaged(long);

    expect(
      loadCatalog(path, { maxSessionSeconds: 3600, sha256: hash }).entitlements[0]?.maxDurationSeconds,
    ).toBe(3600);
    expect(refusal(() => loadCatalog(path, { maxSessionSeconds: 900, sha256: hash })).message).toMatch(
      /entitlements\[0\] \(sandbox-readonly\)\.maxDurationSeconds: 3600 exceeds 900/,
    );
  });

  it("checks a break-glass session's length against a lower HALLPASS_MAX_SESSION_SECONDS too", async () => {
    const long = catalogFile(
      'long-break-glass',
      catalogDocument(
        sandboxDocument({ maxDurationSeconds: 900 }),
        prodDocument({
          maxDurationSeconds: 900,
          breakGlass: { groups: ['oncall'], maxDurationSeconds: 1800 },
        }),
      ),
    );
    const { path, sha256: hash } = await packaged(long);

    expect(loadCatalog(path, { maxSessionSeconds: 1800, sha256: hash }).entitlements[1]?.breakGlass).toEqual(
      expect.objectContaining({ maxDurationSeconds: 1800 }),
    );
    expect(refusal(() => loadCatalog(path, { maxSessionSeconds: 900, sha256: hash })).message).toMatch(
      /entitlements\[1\] \(prod-admin\)\.breakGlass\.maxDurationSeconds: 1800 exceeds 900/,
    );
  });

  it('validates a file it is given no hash for, as before', () => {
    const bad = catalogFile(
      'unhashed',
      catalogDocument(sandboxDocument({ roleArn: 'not-an-arn' }), prodDocument()),
    );

    expect(refusal(() => loadCatalog(bad, { maxSessionSeconds: 3600 })).message).toMatch(
      /entitlements\[0\] \(sandbox-readonly\)\.roleArn: /,
    );
  });
});

/**
 * The catalog a deployed function reads: the JSON that packaging validated and wrote
 * (deploy/catalog-json.cjs), with exactly the SHA-256 packaging handed the function
 * (HALLPASS_CATALOG_SHA256). Its schema is not run again; the rules that depend on the function's
 * own settings are (lib/core/catalog.ts, catalogValidatedAtPackaging).
 *
 * The functions' bundles get this module in place of catalog-file.ts (deploy/esbuild-plugins.cjs):
 * a deployed function reads this catalog or none, and no bundle carries the catalog's schema and
 * cross-field rules (about 11 KB of each). Tests, scripts and `npm start`'s own checks read the YAML
 * through catalog-file.ts, which validates in full.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Catalog, catalogValidatedAtPackaging } from '../core/catalog.ts';
import { ConfigError } from '../errors.ts';

export function readCatalogFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the catalog at ${path}: ${(error as Error).message}`);
  }
}

/** The packaged catalog in `text` (read from `path`), if its SHA-256 is `sha256`; else ConfigError. */
export function packagedCatalog(
  path: string,
  text: string,
  options: { maxSessionSeconds: number; sha256: string },
): Catalog {
  const actual = createHash('sha256').update(text).digest('hex');
  if (actual !== options.sha256 || !path.endsWith('.json'))
    throw new ConfigError(
      `the catalog at ${path} is not the one packaging validated (its SHA-256 is ${actual}, HALLPASS_CATALOG_SHA256 is ${options.sha256}): package and deploy again`,
    );
  return catalogValidatedAtPackaging(JSON.parse(text) as Catalog, options);
}

/** catalog-file.ts's loadCatalog, in the functions' bundles: the packaged catalog, or a refusal. */
export function loadCatalog(
  path: string,
  options: { maxSessionSeconds: number; sha256?: string | undefined },
): Catalog {
  const { sha256 } = options;
  if (sha256 === undefined)
    throw new ConfigError(
      `HALLPASS_CATALOG_SHA256 is not set: a deployed function reads only the catalog packaging validated (${path}); package and deploy again`,
    );
  return packagedCatalog(path, readCatalogFile(path), { ...options, sha256 });
}

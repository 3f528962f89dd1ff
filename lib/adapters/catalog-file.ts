/**
 * The catalog file: read once and validated by the core (lib/core/catalog.ts). A file that cannot be
 * read, is not YAML (or JSON) or is not a valid catalog throws ConfigError naming the problem, at
 * start-up.
 *
 * Deployed functions read JSON: serverless.yml packages the YAML catalog as deploy/catalog-json.cjs
 * validated and wrote it, so that no bundle carries a YAML parser (about 120 KB each), and gives them
 * that file's SHA-256 (HALLPASS_CATALOG_SHA256). A file with that hash is the catalog packaging
 * validated, from the same sources as the function: its schema is not run again; any other content
 * is refused. Tests, `npm start`'s checks and `npm run package` read the YAML itself. The
 * functions' bundles get packaged-catalog.ts in place of this module (deploy/esbuild-plugins.cjs):
 * they read the packaged catalog or none, and carry no catalog schema.
 */
import { createRequire } from 'node:module';
import { type Catalog, parseCatalog } from '../core/catalog.ts';
import { ConfigError } from '../errors.ts';
import { packagedCatalog, readCatalogFile } from './packaged-catalog.ts';

/**
 * The YAML parser, loaded on first use of a YAML catalog. Loaded with a require of its own, not
 * imported, so that esbuild leaves it out of the bundles: a deployed function is handed JSON.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

/**
 * Reads and validates the catalog file: JSON when its name ends in .json, YAML otherwise. With
 * `sha256` (the packaged catalog's), the file must be JSON with exactly that hash, and only the
 * rules that depend on the settings are checked again.
 */
export function loadCatalog(
  path: string,
  options: { maxSessionSeconds: number; sha256?: string | undefined },
): Catalog {
  const text = readCatalogFile(path);
  const { sha256 } = options;
  if (sha256 !== undefined) return packagedCatalog(path, text, { ...options, sha256 });
  const json = path.endsWith('.json');
  let document: unknown;
  try {
    document = json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `invalid catalog: ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  return parseCatalog(document, options);
}

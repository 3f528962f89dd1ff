/**
 * The catalog file: read once and validated by the core (lib/core/catalog.ts). A file that cannot be
 * read, is not YAML (or JSON) or is not a valid catalog throws ConfigError naming the problem, at
 * start-up.
 *
 * Deployed functions read JSON: serverless.yml packages the YAML catalog converted by
 * deploy/catalog-json.cjs, so that no bundle carries a YAML parser (about 120 KB each). Tests,
 * `npm start`'s checks and `npm run package` read the YAML itself.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Catalog, parseCatalog } from '../core/catalog.ts';
import { ConfigError } from '../errors.ts';

/**
 * The YAML parser, loaded on first use of a YAML catalog. Loaded with a require of its own, not
 * imported, so that esbuild leaves it out of the bundles: a deployed function is handed JSON.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

/** Reads and validates the catalog file: JSON when its name ends in .json, YAML otherwise. */
export function loadCatalog(path: string, options: { maxSessionSeconds: number }): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the catalog at ${path}: ${(error as Error).message}`);
  }
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

/**
 * The catalog file: read once and validated by the core (lib/core/catalog.ts). A file that cannot be
 * read, is not YAML or is not a valid catalog throws ConfigError naming the problem, at start-up.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type Catalog, parseCatalog } from '../core/catalog.ts';
import { ConfigError } from '../errors.ts';

/** Reads and validates the catalog YAML file. */
export function loadCatalog(path: string, options: { maxSessionSeconds: number }): Catalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the catalog at ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`invalid catalog: ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return parseCatalog(document, options);
}

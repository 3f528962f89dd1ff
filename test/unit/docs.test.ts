/**
 * The repository's own documentation stays in step with the code: docs/api.md documents every route
 * of the route table (read at run time, so a route added tomorrow fails this until it is documented),
 * every field of its body and query schemas in that route's own section, every field of the OpenAPI
 * document's schemas and every error code; and no link of README.md or docs/*.md leads outside the
 * repository (to the old shared/ contract, or up out of the checkout) or to a file or heading that
 * does not exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/http/errors.ts';
import { openApiDocument } from '../../lib/http/openapi.ts';
import { ROUTE_NAMES, ROUTES, type RouteSpec } from '../../lib/http/routes.ts';
import { ErrorResponse, VendRequest } from '../../lib/schemas.ts';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const API_DOC = 'docs/api.md';
const apiDoc = read(API_DOC);

/** The markdown files whose links must stay inside the repository. */
const MARKDOWN = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `name` as a whole word: not part of a longer identifier (`id` is not found in `idle`). */
const mentions = (text: string, name: string) =>
  new RegExp(`(?<![\\w-])${escapeRegExp(name)}(?![\\w-])`).test(text);

interface Section {
  heading: string;
  text: string;
}

/** The document cut at its headings of level 1 to 3: each heading with the text up to the next one. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  for (const line of withoutCode(markdown).split('\n')) {
    if (/^#{1,3} /.test(line)) out.push({ heading: line, text: '' });
    else if (out.length > 0) (out[out.length - 1] as Section).text += `${line}\n`;
  }
  return out;
}

/** The section documenting a route: its heading names it as `` `METHOD /path` ``. */
const routeSection = (spec: RouteSpec) =>
  sections(apiDoc).find(
    (s) => /^#{1,3} /.test(s.heading) && s.heading.includes(`\`${spec.method} ${spec.path}\``),
  );

interface ZodNode {
  _zod: { def: { type: string } & Record<string, unknown> };
}

/**
 * Every field a zod (mini) schema accepts, as dotted paths (`breakGlass.justification`): objects'
 * shapes, through optional, default, nullable and pipe wrappers, each branch of a union, array items.
 */
function fieldsOf(schema: ZodNode, prefix = ''): string[] {
  const def = schema._zod.def;
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, ZodNode>).flatMap(([name, field]) => [
        `${prefix}${name}`,
        ...fieldsOf(field, `${prefix}${name}.`),
      ]);
    case 'union':
      return [...new Set((def.options as ZodNode[]).flatMap((option) => fieldsOf(option, prefix)))];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return fieldsOf(def.innerType as ZodNode, prefix);
    case 'pipe':
      return fieldsOf(def.in as ZodNode, prefix);
    case 'array':
      return fieldsOf(def.element as ZodNode, prefix);
    default:
      return [];
  }
}

type Json = Record<string, unknown>;

/** Every property name of a JSON schema of the OpenAPI document, following its $refs once each. */
function propertiesOf(schema: unknown, components: Record<string, Json>, seen = new Set<string>()): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as Json;
  if (typeof node.$ref === 'string') {
    const name = node.$ref.replace('#/components/schemas/', '');
    if (seen.has(name)) return [];
    seen.add(name);
    return propertiesOf(components[name], components, seen);
  }
  const own = Object.entries((node.properties ?? {}) as Record<string, unknown>).flatMap(([name, value]) => [
    name,
    ...propertiesOf(value, components, seen),
  ]);
  const nested = ['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf'].flatMap((key) => {
    const value = node[key];
    return Array.isArray(value)
      ? value.flatMap((v) => propertiesOf(v, components, seen))
      : propertiesOf(value, components, seen);
  });
  return [...new Set([...own, ...nested])];
}

/** The markdown without fenced code blocks (their lines kept empty, so line numbers stay true). */
const withoutCode = (markdown: string) =>
  markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ''));

/** Every link target of a markdown file (inline, reference-style and HTML), with its line. */
function linksOf(markdown: string): Array<{ target: string; line: number }> {
  const lines = withoutCode(markdown)
    .split('\n')
    .map((line) => line.replace(/`[^`]*`/g, ''));
  return lines.flatMap((line, index) => [
    ...[...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({
      target: m[1] as string,
      line: index + 1,
    })),
    ...[...line.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g)].map((m) => ({
      target: m[1] as string,
      line: index + 1,
    })),
    ...[...line.matchAll(/\b(?:href|src)="([^"]+)"/g)].map((m) => ({
      target: m[1] as string,
      line: index + 1,
    })),
  ]);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const line of withoutCode(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = counts.get(slug) ?? 0;
    counts.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

describe('docs/api.md and the route table', () => {
  it('reads the route table and the schemas (a broken reader would make every check below pass)', () => {
    expect(ROUTE_NAMES.length).toBeGreaterThan(15);
    expect(fieldsOf(VendRequest as unknown as ZodNode)).toEqual(
      expect.arrayContaining(['entitlementId', 'durationSeconds', 'breakGlass', 'breakGlass.justification']),
    );
    expect(sections(apiDoc).length).toBeGreaterThan(20);
  });

  it('documents every route of lib/http/routes.ts in a section of its own', () => {
    const missing = ROUTE_NAMES.filter((name) => !routeSection(ROUTES[name])).map(
      (name) =>
        `route '${name}' (${ROUTES[name].method} ${ROUTES[name].path}) has no heading \`${ROUTES[name].method} ${ROUTES[name].path}\` in ${API_DOC}`,
    );
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it("names every field of each route's body and query schema in that route's section", () => {
    const missing = ROUTE_NAMES.flatMap((name) => {
      const spec: RouteSpec = ROUTES[name];
      const section = routeSection(spec);
      if (!section) return []; // reported by the test above
      const schemas = [
        ['body', spec.body],
        ['query', spec.query],
      ] as const;
      return schemas.flatMap(([where, schema]) =>
        schema
          ? fieldsOf(schema as unknown as ZodNode)
              .filter((path) => !mentions(section.text, path.split('.').pop() as string))
              .map(
                (path) => `${spec.method} ${spec.path}: ${where} field '${path}' is not named in its section`,
              )
          : [],
      );
    });
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('documents every method and path of the OpenAPI document', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const missing = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .map((method) => `${method.toUpperCase()} ${path}`)
        .filter((route) => !apiDoc.includes(`\`${route}\``))
        .map((route) => `OpenAPI operation ${route} is not in ${API_DOC}`),
    );
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('names every property of the schemas of the OpenAPI document (Session, Entitlement, Request, ...)', () => {
    const components = (openApiDocument().components as { schemas: Record<string, Json> }).schemas;
    const missing = Object.entries(components).flatMap(([schemaName, schema]) =>
      propertiesOf(schema, components)
        .filter((property) => !mentions(apiDoc, property))
        .map((property) => `property '${property}' of OpenAPI schema ${schemaName} is not in ${API_DOC}`),
    );
    expect(missing, missing.join('\n')).toEqual([]);
  });

  it('lists every error code of lib/http/errors.ts in the table of errors', () => {
    const errorShape = ErrorResponse.shape.error as unknown as { shape: { code: { options: string[] } } };
    const codes = new Set<string>([...Object.values(ErrorCode), ...errorShape.shape.code.options]);
    const missing = [...codes]
      .filter(
        (code) => !new RegExp(`^\\|\\s*\\d{3}\\s*\\|\\s*\`${escapeRegExp(code)}\`\\s*\\|`, 'm').test(apiDoc),
      )
      .map((code) => `error code '${code}' has no row '| <status> | \`${code}\` |' in ${API_DOC}`);
    expect(missing, missing.join('\n')).toEqual([]);
  });
});

describe('links of README.md and docs/*.md', () => {
  it('reads the links (a broken reader would make the checks below pass)', () => {
    const targets = linksOf(read('README.md')).map((l) => l.target);
    expect(targets).toEqual(expect.arrayContaining(['docs/api.md', 'docs/security.md']));
    expect(linksOf('a [b](c.md) `[d](e.md)`\n```\n[f](g.md)\n```\n[h]: i.md').map((l) => l.target)).toEqual([
      'c.md',
      'i.md',
    ]);
  });

  it('never point at the shared/ contract or up out of a directory', () => {
    const problems = MARKDOWN.flatMap((file) => {
      const text = read(file);
      const shared = text
        .split('\n')
        .flatMap((line, i) => (/\bshared\//.test(line) ? [`${file}:${i + 1} mentions shared/`] : []));
      const outside = text
        .split('\n')
        .flatMap((line, i) =>
          /\b(?:API|SECURITY)\.md\b/.test(line)
            ? [`${file}:${i + 1} names API.md or SECURITY.md, which are not in the repository`]
            : [],
        );
      const up = linksOf(text)
        .filter((l) => l.target.includes('../') || l.target.startsWith('file:'))
        .map((l) => `${file}:${l.line} links to ${l.target}`);
      return [...shared, ...outside, ...up];
    });
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('lead to files and headings that exist in the repository', () => {
    const problems = MARKDOWN.flatMap((file) =>
      linksOf(read(file)).flatMap(({ target, line }) => {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return []; // https:, mailto: (public pages)
        const [path = '', anchor] = target.split('#');
        // `/x` is relative to the repository's root, as GitHub renders it; `x` to the file's directory.
        const base = path.startsWith('/') ? ROOT : dirname(join(ROOT, file));
        const absolute =
          path === '' ? join(ROOT, file) : join(base, decodeURIComponent(path).replace(/^\//, ''));
        const inside = relative(ROOT, absolute);
        if (inside.startsWith('..')) return [`${file}:${line} links outside the repository: ${target}`];
        if (!existsSync(absolute)) return [`${file}:${line} links to a missing file: ${target}`];
        if (anchor && absolute.endsWith('.md') && !anchorsOf(readFileSync(absolute, 'utf8')).has(anchor))
          return [`${file}:${line} links to a missing heading: ${target}`];
        return [];
      }),
    );
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

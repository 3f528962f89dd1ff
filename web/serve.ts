/**
 * The web console's files as the serving functions answer them (functions/web-index.ts,
 * functions/web-assets.ts): read once per container from web/dist/ (built by scripts/build-web.ts,
 * packaged beside the function; Lambda's working directory is the package's root), each with its
 * content type, cache policy and security headers, and a gzip copy for clients that accept it.
 * index.html gets its sign-in settings here: the console's client from the build, the issuer,
 * audience and claim names from the API's own configuration, so that page and API always agree.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { config } from '../lib/config.ts';
import { NotFoundError } from '../lib/errors.ts';
import type { HttpEvent, HttpResult } from '../lib/http/types.ts';

/** Where index.html takes its settings (scripts/build-web.ts writes it there). */
const SETTINGS_PLACEHOLDER = '%HALLPASS_SETTINGS%';

export interface WebFile {
  body: string;
  gzip: string;
  headers: Record<string, string>;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** What the build says besides its files (scripts/build-web.ts writes it): the console's OIDC client. */
interface Manifest {
  client: { clientId: string; scope: string; resource?: string };
}

const escapeAttribute = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * The Content Security Policy of the console: scripts and styles from this origin only (no inline
 * code, no eval), fetches to the API and to the issuer (discovery, token), no frames, no plugins,
 * forms nowhere.
 */
export function contentSecurityPolicy(issuerOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${issuerOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function load(dir: string): Map<string, WebFile> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const { issuer, audience, claims } = config();
  const settings = { ...manifest.client, issuer: issuer.replace(/\/$/, ''), audience, claims };
  const security = {
    'Content-Security-Policy': contentSecurityPolicy(new URL(issuer).origin),
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    Vary: 'Accept-Encoding',
  };
  const file = (path: string, cache: string, fill?: (text: string) => string): WebFile => {
    const read = readFileSync(path);
    const bytes = fill ? Buffer.from(fill(read.toString('utf8'))) : read;
    const type = TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    return {
      body: bytes.toString('utf8'),
      gzip: gzipSync(bytes, { level: 9 }).toString('base64'),
      headers: { 'Content-Type': type, 'Cache-Control': cache, ...security },
    };
  };
  // index.html names the current assets: always revalidated. Assets are named by their content.
  const page = file(join(dir, 'index.html'), 'no-cache', (html) =>
    html.replace(SETTINGS_PLACEHOLDER, escapeAttribute(JSON.stringify(settings))),
  );
  const files = new Map([['index.html', page]]);
  for (const name of readdirSync(join(dir, 'assets')))
    if (/^[\w-]+\.(js|css)$/.test(name))
      files.set(name, file(join(dir, 'assets', name), 'public, max-age=31536000, immutable'));
  return files;
}

let cached: Map<string, WebFile> | undefined;

/** The console's files by name (`index.html`, `app-<hash>.js`, ...); none when it was not built. */
export function webFiles(dir = resolve('web/dist')): Map<string, WebFile> | undefined {
  cached ??= load(dir);
  return cached;
}

/** One of the console's files as the answer to `event`, gzipped when the client accepts it. */
export function serveWebFile(event: HttpEvent, name: string): HttpResult {
  const files = webFiles();
  const found = files?.get(name);
  if (!files)
    throw new NotFoundError('the web console was not built into this deployment (npm run build:web)');
  if (!found) throw new NotFoundError(`no asset ${name}`);
  const gzip = /\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '');
  return gzip
    ? {
        statusCode: 200,
        headers: { ...found.headers, 'Content-Encoding': 'gzip' },
        body: found.gzip,
        isBase64Encoded: true,
      }
    : { statusCode: 200, headers: found.headers, body: found.body };
}

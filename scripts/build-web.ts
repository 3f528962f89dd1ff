/**
 * `npm run build:web` (also run by `npm start` and `npm run package`, before serverless): the web
 * console (web/app/) built by esbuild into web/dist/: `index.html` and content-hashed
 * `assets/app-<hash>.js|css`, which functions/web-index.ts and functions/web-assets.ts serve and
 * serverless.yml packages with them. Prints each file's size and what a browser downloads, gzipped.
 *
 * The console's OIDC client is set here, at build time: HALLPASS_WEB_CLIENT_ID (default
 * `hallpass-console`, the dev issuer's), HALLPASS_WEB_SCOPES (default `openid profile`) and
 * HALLPASS_WEB_RESOURCE (an optional RFC 8707 resource indicator for the access token). The issuer,
 * audience and claim names are the API's own, added by the function when it serves the page (so the
 * same build serves every stack). Files are replaced one by one, each by a rename: a stack serving
 * web/dist/ while another builds it never reads half a file.
 */
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const WEB_DIST = 'web/dist';
/** Where index.html takes the settings the serving function fills in. */
export const SETTINGS_PLACEHOLDER = '%HALLPASS_SETTINGS%';

/** The console's OIDC client, as the serving function reads it from web/dist/manifest.json. */
export interface WebClient {
  clientId: string;
  scope: string;
  resource?: string;
}

export function webClientFromEnv(env: NodeJS.ProcessEnv = process.env): WebClient {
  return {
    clientId: env.HALLPASS_WEB_CLIENT_ID || 'hallpass-console',
    scope: env.HALLPASS_WEB_SCOPES || 'openid profile',
    ...(env.HALLPASS_WEB_RESOURCE ? { resource: env.HALLPASS_WEB_RESOURCE } : {}),
  };
}

/** index.html: no inline script or style (the CSP allows neither), the hashed assets by absolute path. */
const indexHtml = (script: string, style: string) => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="hallpass-settings" content="${SETTINGS_PLACEHOLDER}">
<title>hallpass</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><noscript>The hallpass console needs JavaScript; the CLI and the API do not.</noscript></div>
</body>
</html>
`;

/** Writes `text` to `path` through a rename, so that readers see the old file or the new one. */
function replace(path: string, text: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

export interface BuiltFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

/** Builds the console into `outDir`; answers the files a browser loads and their gzip size in all. */
export async function buildWeb(
  client: WebClient = webClientFromEnv(),
  outDir = WEB_DIST,
): Promise<{ files: BuiltFile[]; gzipBytes: number }> {
  const assets = join(outDir, 'assets');
  const staging = mkdtempSync(join(tmpdir(), 'hallpass-web-'));
  try {
    await build({
      entryPoints: { app: 'web/app/main.tsx' },
      outdir: staging,
      entryNames: '[name]-[hash]',
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['es2022', 'chrome111', 'firefox115', 'safari16'],
      platform: 'browser',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      legalComments: 'none',
      logLevel: 'warning',
    });
    const built = readdirSync(staging);
    const script = built.find((file) => file.endsWith('.js'));
    const style = built.find((file) => file.endsWith('.css'));
    if (!script || !style) throw new Error(`the web build wrote no script or style: ${built.join(', ')}`);
    mkdirSync(assets, { recursive: true });
    for (const file of [script, style]) replace(join(assets, file), readFileSync(join(staging, file)));
    replace(join(outDir, 'manifest.json'), `${JSON.stringify({ client })}\n`);
    replace(join(outDir, 'index.html'), indexHtml(script, style));
    // Assets of earlier builds: index.html no longer names them.
    for (const file of readdirSync(assets))
      if (file !== script && file !== style && !file.endsWith('.tmp'))
        rmSync(join(assets, file), { force: true });

    const files = [join(outDir, 'index.html'), join(assets, script), join(assets, style)].map((path) => {
      const bytes = readFileSync(path);
      return { name: path, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
    });
    return { files, gzipBytes: files.reduce((sum, file) => sum + file.gzipBytes, 0) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && basename(process.argv[1]) === 'build-web.ts') {
  const { files, gzipBytes } = await buildWeb();
  for (const file of files)
    process.stdout.write(`${file.name}  ${file.bytes} B  (gzip ${file.gzipBytes} B)\n`);
  process.stdout.write(`web console: ${gzipBytes} B gzipped in all\n`);
}

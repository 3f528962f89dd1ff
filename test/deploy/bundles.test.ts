/**
 * The functions' bundles, built with serverless.yml's own esbuild settings (alias, plugins, no
 * keepNames): what they leave out is code no function can reach, and what they rename is never read
 * by name. Then a bundled vend, run against the local stack, answers as the source does.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SignatureV4MultiRegion as SdkMultiRegionSigner } from '@aws-sdk/signature-v4-multi-region';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { NormalizedSchema } from '@smithy/core/schema';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packagingBuildOptions } from '../../bench/cold-start.ts';
import { Sha256Js } from '../../lib/adapters/no-sha256-js.ts';
import { SignatureV4MultiRegion as StsSigner } from '../../lib/adapters/sts-sigv4-only.ts';
import { apiEvent } from '../../local/api-gateway.ts';
import { type Answer, invoke } from '../support/api.ts';
import { useLocalSts } from '../support/local-sts.ts';
import { useIsolatedTables } from '../support/tables.ts';
import { tokenFor } from '../support/tokens.ts';

const { KEEP_NAMES_IN, OPERATIONS } = createRequire(import.meta.url)('../../deploy/esbuild-plugins.cjs') as {
  KEEP_NAMES_IN: string[];
  OPERATIONS: Record<string, string[]>;
};
const packageCatalog = createRequire(import.meta.url)('../../deploy/catalog-json.cjs') as (context: {
  resolveVariable: (name: string) => Promise<string>;
}) => Promise<{ path: string; sha256: string }>;

/** Every function's handler module, from serverless.yml. */
const HANDLERS = Object.values(
  (parse(readFileSync('serverless.yml', 'utf8')) as { functions: Record<string, { handler: string }> })
    .functions,
).map(({ handler }) => `${handler.slice(0, handler.lastIndexOf('.'))}.ts`);

let dir: string;
let metafile: Metafile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hallpass-bundles-'));
  const { options, external } = packagingBuildOptions();
  ({ metafile } = await build({
    ...options,
    entryPoints: HANDLERS,
    outdir: dir,
    outbase: '.',
    outExtension: { '.js': '.mjs' },
    external,
    metafile: true,
    logLevel: 'error',
  }));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The files bundled into at least one function. */
const bundledInputs = () => new Set(Object.values(metafile.outputs).flatMap((o) => Object.keys(o.inputs)));

/** Every JavaScript file under a package's directory, as [path within it, text]. */
const sourcesOf = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .map((file) => [file, readFileSync(join(dir, file), 'utf8')] as const);

/** The files, in any bundle, that import a path `imported` accepts. */
const importersOf = (imported: (path: string) => boolean) =>
  Object.entries(metafile.inputs)
    .filter(([, input]) => input.imports.some(({ path }) => imported(path)))
    .map(([file]) => file);

describe('what the bundles leave out', () => {
  it('bundles every function', () => {
    expect(HANDLERS.length).toBeGreaterThanOrEqual(26);
    expect(Object.keys(metafile.outputs).filter((o) => o.endsWith('.mjs'))).toHaveLength(HANDLERS.length);
  });

  it("builds only its own route's schemas: another route's or an answer's are not in its bundle", () => {
    // A message of the sessions queries' time filters (lib/schemas.ts), and a description of the
    // console's answer, which only the OpenAPI document uses.
    const carrying = (text: string) =>
      HANDLERS.filter((handler) =>
        readFileSync(join(dir, handler.replace(/\.ts$/, '.mjs')), 'utf8').includes(text),
      ).sort();
    expect(carrying('must be an RFC 3339 time')).toEqual([
      'functions/openapi.ts',
      'functions/sessions-export.ts',
      'functions/sessions-list.ts',
    ]);
    expect(carrying('The console sign-in URL: a bearer secret')).toEqual(['functions/openapi.ts']);
  });

  it("loads neither Node's web streams nor perf_hooks: a cold start of a function answers without them", () => {
    // One fresh process: the bundled health function imported and invoked, as Lambda would.
    const child = `
      const { handler } = await import(process.argv[1]);
      const answer = await handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => 5000 });
      console.log(JSON.stringify({ status: answer.statusCode, modules: process.moduleLoadList }));`;
    const { stdout, status } = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        child,
        pathToFileURL(join(dir, 'functions', 'health.mjs')).href,
        JSON.stringify(apiEvent({ method: 'GET', path: '/v1/health' })),
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' } },
    );
    expect(status).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(result.status).toBe(200);
    // middy imports node:stream/web when it loads (deploy/esbuild-plugins.cjs defers it); a timer
    // that used the global `performance` would load perf_hooks.
    expect(result.modules).toContain('NativeModule stream');
    expect(result.modules).not.toContain('NativeModule stream/web');
    expect(result.modules).not.toContain('NativeModule perf_hooks');
  });

  it("uses middy's ReadableStream only with instanceof, all that its stand-in answers", () => {
    // lib/adapters/lazy-stream-web.ts stands in for node:stream/web in middy's import: a middy that
    // constructed or called ReadableStream would need the real class, and fails this first.
    const source = readFileSync(createRequire(import.meta.url).resolve('@middy/core'), 'utf8');
    const uses = [...source.matchAll(/(\S+\s+)?\bReadableStream\b(?!")/g)].map(([use]) =>
      use.replace(/\s+/g, ' '),
    );
    expect(uses).toEqual(['{ ReadableStream', 'instanceof ReadableStream']);
  });

  it('reads no clock through the global performance, in any function (its first use loads perf_hooks)', () => {
    const reading = HANDLERS.filter((handler) =>
      /\bperformance\.now\(/.test(readFileSync(join(dir, handler.replace(/\.ts$/, '.mjs')), 'utf8')),
    );
    expect(reading).toEqual([]);
  });

  it("carries the packaged catalog's reader only: no function bundles the catalog's schema", () => {
    const inputsOf = (handler: string) =>
      Object.keys(Object.values(metafile.outputs).find((o) => o.entryPoint === handler)?.inputs ?? {});
    for (const handler of ['functions/credentials.ts', 'functions/requests-create.ts'])
      expect(inputsOf(handler)).toContain('lib/adapters/packaged-catalog.ts');
    expect([...bundledInputs()]).not.toContain('lib/adapters/catalog-file.ts');
    // A message of the catalog's cross-field rules, which only a full validation runs.
    const carrying = HANDLERS.filter((handler) =>
      readFileSync(join(dir, handler.replace(/\.ts$/, '.mjs')), 'utf8').includes(
        'a policy document needs a Statement',
      ),
    );
    expect(carrying).toEqual([]);
  });

  it("carries no DynamoDB endpoint cache, which none of the client's commands reads", () => {
    expect(
      [...bundledInputs()].filter((file) =>
        /node_modules\/(mnemonist|@aws-sdk\/endpoint-cache|@aws-sdk\/middleware-endpoint-discovery)\//.test(
          file,
        ),
      ),
    ).toEqual([]);
    // Only the DynamoDB client imports the stand-in in any bundle.
    const importers = importersOf((path) => path === 'lib/adapters/no-endpoint-cache.ts');
    expect(importers.length).toBeGreaterThan(0);
    for (const file of importers) expect(file).toMatch(/^node_modules\/@aws-sdk\/client-dynamodb\//);
    // The stand-in holds only while the client imports no more than these from the package, and no
    // command adds the discovery middleware (which reads the cache): an SDK that does fails here.
    const sources = sourcesOf('node_modules/@aws-sdk/client-dynamodb/dist-es').map(([, text]) => text);
    const imported = sources.flatMap((text) =>
      [...text.matchAll(/import \{([^}]*)\} from "@aws-sdk\/middleware-endpoint-discovery"/g)].flatMap(
        ([, names]) =>
          (names ?? '')
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean),
      ),
    );
    expect(new Set(imported)).toEqual(
      new Set(['resolveEndpointDiscoveryConfig', 'NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS']),
    );
    expect(sources.filter((text) => /getEndpointDiscovery\w*Plugin/.test(text))).toEqual([]);
  });

  it("carries no JavaScript SHA-256, the SDK's fallback for a Node.js without one in node:crypto", () => {
    expect([...bundledInputs()].filter((file) => file.endsWith('/checksum/sha256/Sha256Js.js'))).toEqual([]);
    // Only Sha256Node imports the stand-in, in any bundle.
    const importers = importersOf((path) => path === 'lib/adapters/no-sha256-js.ts');
    expect(importers).toEqual(['node_modules/@smithy/core/dist-es/submodules/checksum/sha256/Sha256Node.js']);
    // The stand-in holds only while Sha256Node takes the fallback when node:crypto cannot hash
    // SHA-256, and never otherwise: an SDK that uses it for anything else fails here.
    const source = readFileSync(importers[0] as string, 'utf8');
    expect(source).toMatch(
      /const hasNativeCrypto = \(\(\) => \{\s*try \{\s*createHash\("sha256"\);\s*return true;/,
    );
    expect(source.split('\n').filter((line) => line.includes('Sha256Js'))).toEqual([
      'import { Sha256Js } from "./Sha256Js";',
      'export const Sha256Node = hasNativeCrypto ? buildNativeClass() : Sha256Js;',
    ]);
    // And it throws, rather than hash with something else, if it is ever built.
    expect(() => new Sha256Js()).toThrow(/no SHA-256 in node:crypto/);
  });

  it("carries no multi-region signer: STS signs with SigV4, as the SDK's signer does without SigV4a", async () => {
    // (EventBridge's client keeps it: its global endpoints sign with SigV4a.)
    const stsBundles = Object.values(metafile.outputs).filter(({ inputs }) =>
      Object.keys(inputs).some((file) => file.startsWith('node_modules/@aws-sdk/client-sts/')),
    );
    expect(stsBundles.length).toBeGreaterThan(0);
    for (const { inputs } of stsBundles) {
      expect(Object.keys(inputs).filter((file) => file.includes('/signature-v4-multi-region/'))).toEqual([]);
    }
    // Only the STS client imports the stand-in, in any bundle.
    const importers = importersOf((path) => path === 'lib/adapters/sts-sigv4-only.ts');
    expect(importers.length).toBeGreaterThan(0);
    for (const file of importers) expect(file).toMatch(/^node_modules\/@aws-sdk\/client-sts\//);
    // The stand-in holds only while the client uses the class as its signer and asks it which SigV4a
    // implementation is loaded, and nothing else; and while STS's endpoint rules name no SigV4a.
    const sources = sourcesOf('node_modules/@aws-sdk/client-sts/dist-es');
    const uses = sources.flatMap(([, text]) =>
      text
        .split('\n')
        .filter(
          (line) => line.includes('SignatureV4MultiRegion') || line.includes('signature-v4-multi-region'),
        )
        .map((line) => line.trim()),
    );
    expect(new Set(uses)).toEqual(
      new Set([
        'import { SignatureV4MultiRegion } from "@aws-sdk/signature-v4-multi-region";',
        'if (SignatureV4MultiRegion.sigv4aDependency() === "none" && sigv4Present) {',
        'signerConstructor: config?.signerConstructor ?? SignatureV4MultiRegion,',
      ]),
    );
    expect(sources.filter(([file, text]) => file.startsWith('endpoint') && /sigv4a/i.test(text))).toEqual([]);
    // The SDK's signers (@aws-sdk/core) call the class's sign alone: its *WithCredentials methods,
    // which the stand-in lacks, are S3 Express's.
    const core = sourcesOf('node_modules/@aws-sdk/core/dist-es');
    expect(core.filter(([, text]) => /(sign|presign)WithCredentials/.test(text))).toEqual([]);
    // One SignatureV4 in every bundle: the stand-in's dependency is the SDK's own copy.
    expect(
      new Set([...bundledInputs()].filter((file) => /\/@smithy\/signature-v4\/.*SignatureV4\.js$/.test(file)))
        .size,
    ).toBe(1);
    expect(StsSigner.sigv4aDependency()).toBe(SdkMultiRegionSigner.sigv4aDependency());

    // It signs and presigns a request byte for byte as the SDK's class does, and refuses a region of
    // `*` (SigV4a) as that class does here, where no SigV4a implementation is installed.
    const options = {
      credentials: {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
        sessionToken: 'tok',
      },
      region: 'us-east-1',
      service: 'sts',
      sha256: Sha256,
      runtime: 'node',
    };
    const request = () =>
      new HttpRequest({
        method: 'POST',
        protocol: 'https:',
        hostname: 'sts.us-east-1.amazonaws.com',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'sts.us-east-1.amazonaws.com' },
        body: 'Action=AssumeRole&Version=2011-06-15',
      });
    const signingDate = new Date('2026-12-03T10:00:00Z');
    const ours = new StsSigner(options);
    const sdks = new SdkMultiRegionSigner(options);
    const signed = await ours.sign(request(), { signingDate });
    expect(signed.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261203\/us-east-1\/sts\//,
    );
    expect(signed).toEqual(await sdks.sign(request(), { signingDate }));
    expect(await ours.presign(request(), { signingDate, expiresIn: 60 })).toEqual(
      await sdks.presign(request(), { signingDate, expiresIn: 60 }),
    );
    await expect(ours.sign(request(), { signingRegion: '*' })).rejects.toThrow(/SigV4 only/);
    await expect(ours.presign(request(), { signingRegion: '*' })).rejects.toThrow(/SigV4 only/);
    await expect(sdks.sign(request(), { signingRegion: '*' })).rejects.toThrow(/SigV4a implementation/);
  });

  it('imports no node:timers/promises, which would load at every cold start for a rare wait', () => {
    expect(importersOf((path) => /^(node:)?timers\/promises$/.test(path))).toEqual([]);
  });

  it("carries none of the SDK's event-stream code, in any function", () => {
    const inputs = [...bundledInputs()];
    expect(inputs.filter((input) => /event-?streams?[\\/]/i.test(input))).toEqual([]);
    // What a function that calls AWS bundles in its place.
    expect(inputs).toContain('lib/adapters/no-event-streams.ts');
  });

  it('calls no operation that streams events, so none needs that code', async () => {
    // Every command any bundle carries, from the bundled command modules themselves.
    const commands = [...bundledInputs()].flatMap((input) => {
      const found = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\/dist-es\/commands\/(\w+)Command\.js$/.exec(
        input,
      );
      return found ? [{ client: found[1] as string, operation: found[2] as string }] : [];
    });
    expect(commands.map((c) => c.operation)).toEqual(
      expect.arrayContaining(['AssumeRole', 'PutItem', 'GetParameter']),
    );

    const streaming: string[] = [];
    for (const { client, operation } of commands) {
      const schemas = (await import(client)) as Record<string, unknown>;
      const schema = schemas[`${operation}$`] as unknown[];
      expect(schema, `${client} ${operation}`).toBeDefined();
      const [, , , , input, output] = schema;
      for (const [side, shape] of [
        ['input', input],
        ['output', output],
      ] as const) {
        // biome-ignore lint/suspicious/noExplicitAny: a static schema, as the SDK's protocols read it.
        if (NormalizedSchema.of(shape as any).getEventStreamMember()) streaming.push(`${operation} ${side}`);
      }
    }
    expect(streaming).toEqual([]);
  });
});

describe('names in bundles minified without keepNames', () => {
  it("reads a class's own name only in files whose names are kept, or where no log or answer shows it", () => {
    // Each file, and why its minified names never show (beyond those whose names the plugin keeps).
    const harmless: Record<string, string> = {
      // An error for a protocol class missing a method: a bug of the SDK, never a request's outcome.
      'node_modules/@smithy/core/dist-es/submodules/protocols/HttpProtocol.js': 'missing implementation',
      // Describes a key of the wrong type: jose is handed CryptoKeys, whose names are the runtime's.
      'node_modules/jose/dist/webapi/lib/key.js': "the runtime's key classes",
      // zod's classes name themselves ($constructor defines `name`); getParsedType names a class
      // instance's type, and the functions parse JSON and strings only.
      'node_modules/zod/v4/core/util.js': 'parsed JSON holds no class instances',
      'node_modules/zod/v4/core/schemas.js': "zod's classes name themselves",
    };
    const readers = [...bundledInputs()]
      .filter((input) =>
        readFileSync(input, 'utf8')
          .split('\n')
          .some(
            (line) => /constructor\.name|new\.target\.name/.test(line) && !/^\s*(\*|\/\/|\/\*)/.test(line),
          ),
      )
      .filter((input) => !KEEP_NAMES_IN.some((kept) => input.endsWith(`node_modules/${kept}`)))
      .sort();
    expect(readers).toEqual(Object.keys(harmless).sort());
  });

  it("keeps jose's error names, which jose takes from their classes", async () => {
    const { options, external } = packagingBuildOptions();
    const result = await build({
      ...options,
      stdin: { contents: "export * from 'jose/errors';", resolveDir: process.cwd(), loader: 'js' },
      outfile: join(dir, 'jose-errors.mjs'),
      external,
      logLevel: 'error',
    });
    expect(result.errors).toEqual([]);
    const errors = (await import(pathToFileURL(join(dir, 'jose-errors.mjs')).href)) as Record<
      string,
      new (
        message: string,
      ) => Error
    >;
    const named = Object.entries(errors).filter(([, type]) => typeof type === 'function');
    expect(named.length).toBeGreaterThan(10);
    for (const [name, type] of named) expect(new type('refused').name).toBe(name);
  });
});

describe('a bundled vend against the local stack', () => {
  type Handler = Parameters<typeof invoke>[0];
  let vend: Handler;
  let lines: string[];

  beforeAll(async () => {
    await useLocalSts();
    await useIsolatedTables();
    // A deployed function reads the catalog packaging validated, as JSON, with its SHA-256
    // (deploy/catalog-json.cjs, as serverless.yml resolves it): no YAML parser is bundled, and the
    // catalog's schema is not run again.
    const source = process.env.HALLPASS_CATALOG as string;
    const catalog = await packageCatalog({ resolveVariable: async () => source });
    process.env.HALLPASS_CATALOG = catalog.path;
    process.env.HALLPASS_CATALOG_SHA256 = catalog.sha256;
    const module = join(dir, 'functions', 'credentials.mjs');
    vend = (await import(pathToFileURL(module).href)).handler as Handler;
  });

  const vendWith = async (token: string): Promise<Answer> => {
    lines = [];
    const log = console.log;
    const error = console.error;
    console.log = console.error = (line: unknown) => void lines.push(String(line));
    try {
      return await invoke(vend, {
        path: '/v1/credentials',
        token,
        body: { entitlementId: 'sandbox-readonly', durationSeconds: 900 },
      });
    } finally {
      console.log = log;
      console.error = error;
    }
  };

  /** A fresh process that imports the bundled vend function (its init) with `env`. */
  const startVend = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        'await import(process.argv[1])',
        pathToFileURL(join(dir, 'functions', 'credentials.mjs')).href,
      ],
      { encoding: 'utf8', env },
    );

  it('vends: STS, DynamoDB and the issuer keys, through the bundled SDK and jose', async () => {
    const answer = await vendWith(await tokenFor('alice', { groups: ['engineers'] }));
    expect(answer.status).toBe(200);
    expect(answer.body.credentials.accessKeyId).toMatch(/^ASIA/);
  });

  it('refuses to start on a catalog other than the one packaging validated (a fresh process)', () => {
    const { status, stderr } = startVend({ ...process.env, HALLPASS_CATALOG_SHA256: 'f'.repeat(64) });
    expect(status).not.toBe(0);
    expect(stderr).toContain(
      `the catalog at ${process.env.HALLPASS_CATALOG} is not the one packaging validated`,
    );
  });

  it("refuses to start without the packaged catalog's SHA-256, rather than validate another catalog", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HALLPASS_CATALOG: 'catalog/example.yaml' };
    delete env.HALLPASS_CATALOG_SHA256;
    const { status, stderr } = startVend(env);
    expect(status).not.toBe(0);
    expect(stderr).toContain(
      'HALLPASS_CATALOG_SHA256 is not set: a deployed function reads only the catalog packaging validated',
    );
  });

  it('refuses an expired token, and logs why as the source does', async () => {
    const answer = await vendWith(await tokenFor('alice', { groups: ['engineers'], expiresIn: -3600 }));
    expect(answer.status).toBe(401);
    const denied = lines.map((line) => JSON.parse(line)).find((entry) => entry.event === 'access.denied');
    expect(denied).toMatchObject({ status: 401, reason: 'expired', issuer: 'primary' });
    // No name anywhere in the lines is a minified one (`Xe`).
    expect(lines.join('\n')).not.toMatch(/"(error|cause)":"[A-Za-z$_]{1,3}\b/);
  });
});

describe("the SDK's errors in the bundles", () => {
  /** What the fake service answers next. */
  let answer: { status: number; type: string; body: string; headers?: Record<string, string> };
  let server: Server;
  let endpoint: string;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's clients and classes, from two copies of it.
  let bundled: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  let source: Record<string, any>;
  const CLIENTS = `
    export { SSMClient, GetParameterCommand, ParameterNotFound } from '@aws-sdk/client-ssm';
    export { DynamoDBClient, PutItemCommand, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
    export { STSClient, AssumeRoleCommand, ExpiredTokenException } from '@aws-sdk/client-sts';
    export { KMSClient, SignCommand, KMSInvalidStateException } from '@aws-sdk/client-kms';
  `;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(answer.status, { 'content-type': answer.type, ...answer.headers });
        response.end(answer.body);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { options, external } = packagingBuildOptions();
    await build({
      ...options,
      stdin: { contents: CLIENTS, resolveDir: process.cwd(), loader: 'js' },
      outfile: join(dir, 'clients.mjs'),
      external,
      logLevel: 'error',
    });
    bundled = await import(pathToFileURL(join(dir, 'clients.mjs')).href);
    source = {
      ...(await import('@aws-sdk/client-ssm')),
      ...(await import('@aws-sdk/client-dynamodb')),
      ...(await import('@aws-sdk/client-sts')),
      ...(await import('@aws-sdk/client-kms')),
    };
  });

  afterAll(() => {
    server?.close();
  });

  const clientConfig = () => ({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDBUNDLETEST', secretAccessKey: 'bundle-test' },
  });

  /** The error a call raises, as hallpass sees it: name, message, fault, status, class. */
  // biome-ignore lint/suspicious/noExplicitAny: either copy of the SDK.
  async function failure(sdk: Record<string, any>, call: string, kept?: string) {
    const [client, command, input] = {
      ssm: ['SSMClient', 'GetParameterCommand', { Name: '/hallpass/slack/signing-secret' }],
      dynamodb: ['DynamoDBClient', 'PutItemCommand', { TableName: 't', Item: { pk: { S: 'x' } } }],
      sts: [
        'STSClient',
        'AssumeRoleCommand',
        { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's' },
      ],
      kms: [
        'KMSClient',
        'SignCommand',
        { KeyId: 'k', Message: new Uint8Array(1), SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' },
      ],
    }[call] as [string, string, unknown];
    try {
      await new sdk[client](clientConfig()).send(new sdk[command](input));
    } catch (error) {
      const e = error as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
      return {
        name: e.name,
        message: e.message,
        fault: e.$fault,
        status: e.$metadata?.httpStatusCode,
        ...(kept && { instanceOfKept: e instanceof sdk[kept] }),
      };
    }
    throw new Error('the call succeeded');
  }

  const json = (code: string, version: '1.0' | '1.1') => ({
    status: 400,
    type: `application/x-amz-json-${version}`,
    body: JSON.stringify({ __type: code, message: `about ${code}` }),
  });
  const query = (code: string) => ({
    status: 400,
    type: 'text/xml',
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>about ${code}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
  });

  it.each([
    // Declared by the operation: the same class (STS's query protocol names this one by its code).
    ['ssm', json('ParameterNotFound', '1.1'), 'ParameterNotFound'],
    [
      'dynamodb',
      json('com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', '1.0'),
      'ConditionalCheckFailedException',
    ],
    ['sts', query('ExpiredToken'), 'ExpiredTokenException'],
    ['kms', json('KMSInvalidStateException', '1.1'), 'KMSInvalidStateException'],
    // Any operation may answer these.
    ['ssm', json('ThrottlingException', '1.1'), undefined],
    ['kms', json('AccessDeniedException', '1.1'), undefined],
    // Registered for other operations only, then unknown to both: the same name, message and fault.
    ['ssm', json('AssociationDoesNotExist', '1.1'), undefined],
    ['dynamodb', json('BackupNotFoundException', '1.0'), undefined],
    ['sts', query('InvalidAuthorizationMessageException'), undefined],
    ['kms', json('CloudHsmClusterNotFoundException', '1.1'), undefined],
    ['ssm', json('NoSuchErrorAnywhere', '1.1'), undefined],
  ])('%s answering %j raises the same error, bundled or not', async (call, response, kept) => {
    answer = response;
    const fromSource = await failure(source, call, kept);
    answer = response;
    const fromBundle = await failure(bundled, call, kept);
    expect(fromBundle).toEqual(fromSource);
  });

  it('keeps the errors of every operation a bundle calls: each is listed for its client', () => {
    const called = [...bundledInputs()].flatMap((input) => {
      const found = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\/dist-es\/commands\/(\w+)Command\.js$/.exec(
        input,
      );
      return found ? [`${found[1]} ${found[2]}`] : [];
    });
    const listed = Object.entries(OPERATIONS).flatMap(([client, operations]) =>
      operations.map((operation) => `${client} ${operation}`),
    );
    expect(called.filter((operation) => !listed.includes(operation))).toEqual([]);
  });

  it('gives each client the version from its package.json, the one field the clients read', () => {
    const reads = [...bundledInputs()]
      .filter((input) => /node_modules\/@aws-sdk\/client-[a-z0-9-]+\/dist-es\//.test(input))
      .flatMap((input) => readFileSync(input, 'utf8').match(/packageInfo\.\w+/g) ?? []);
    expect(new Set(reads)).toEqual(new Set(['packageInfo.version']));
  });
});

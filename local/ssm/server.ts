/**
 * A local stand-in for AWS Systems Manager's Parameter Store, GetParameter only: the real JSON 1.1
 * protocol (`X-Amz-Target: AmazonSSM.GetParameter`), so the unmodified SDK reads hallpass's Slack
 * signing secret and bot token from it as from AWS. Every parameter is a SecureString: without
 * `WithDecryption` it answers a ciphertext, never the value. Calls must be SigV4-signed by one of
 * the callers (the local STS's, as the local KMS requires). The log never receives a value.
 */
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback.ts';
import { authenticateCaller, type Caller, callerLookup, parseJsonObject, signedRequest } from './auth.ts';
import { SsmError } from './errors.ts';

export type { Caller } from './auth.ts';

export interface LocalSsmOptions {
  /** 0 or left out: a free port. */
  port?: number;
  host?: string;
  /** Part of the parameter ARNs; us-east-1 by default. */
  region?: string;
  /** Part of the parameter ARNs; 000000000000 by default. */
  account?: string;
  /** Who may call: requests signed with any other key are refused. */
  callers: Caller[];
  /** name -> value, each a SecureString at version 1. */
  parameters: Record<string, string>;
  /** One line per request (operation, access key id, parameter name, outcome). Never receives a value. */
  log?: (line: string) => void;
}

export interface LocalSsm {
  url: string;
  port: number;
  /** Puts a new version of a parameter (a rotation), or creates it at version 1. */
  setParameter(name: string, value: string): void;
  close(): Promise<void>;
}

interface Version {
  value: string;
  version: number;
  modifiedAt: Date;
}

const TARGET_PREFIX = 'AmazonSSM.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

type Body = Record<string, unknown>;

const parseBody = (text: string): Body =>
  parseJsonObject(text, (message) => new SsmError('SerializationException', message));

/** `name` or `name:<version>`, as GetParameter takes them. */
function parseName(body: Body): { name: string; version?: number } {
  const given = body.Name;
  if (given === undefined || given === null) {
    throw new SsmError(
      'ValidationException',
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  }
  if (typeof given !== 'string') throw new SsmError('SerializationException', 'Name must be a string');
  if (given.length < 1 || given.length > 2048) {
    throw new SsmError(
      'ValidationException',
      "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length between 1 and 2048",
    );
  }
  const selector = /^(.*):(\d+)$/.exec(given);
  return selector?.[1] ? { name: selector[1], version: Number(selector[2]) } : { name: given };
}

/** Starts the fake on loopback; see LocalSsmOptions. */
export async function startLocalSsm(options: LocalSsmOptions): Promise<LocalSsm> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const lookup = callerLookup(options.callers, account);
  const store = new Map<string, Version[]>();
  const setParameter = (name: string, value: string) => {
    const versions = store.get(name) ?? [];
    versions.push({ value, version: versions.length + 1, modifiedAt: new Date() });
    store.set(name, versions);
  };
  for (const [name, value] of Object.entries(options.parameters)) setParameter(name, value);

  // What a SecureString reads as without decryption: a ciphertext under a key of this run.
  const key = randomBytes(32);
  const encrypt = (value: string) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([1, 2, 2, 0]), iv, sealed, cipher.getAuthTag()]).toString('base64');
  };
  const arn = (name: string) =>
    `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;

  function getParameter(body: Body): object {
    const { name, version } = parseName(body);
    const versions = store.get(name);
    if (!versions?.length) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
    const found = version === undefined ? versions.at(-1) : versions[version - 1];
    if (!found) {
      throw new SsmError(
        'ParameterVersionNotFound',
        `Systems Manager could not find version ${version} of ${name}.`,
      );
    }
    return {
      Parameter: {
        Name: name,
        Type: 'SecureString',
        Value: body.WithDecryption === true ? found.value : encrypt(found.value),
        Version: found.version,
        ...(version === undefined ? {} : { Selector: `:${version}` }),
        LastModifiedDate: found.modifiedAt.getTime() / 1000,
        ARN: arn(name),
        DataType: 'text',
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const request = await signedRequest(req);
    const at = new Date();
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    let status = 200;
    let outcome = 'OK';
    let answer: object;
    let name = '-';
    try {
      // Authentication first, as in AWS: an unsigned request learns nothing, not even which names exist.
      authenticateCaller(request, at, lookup);
      if (operation !== 'GetParameter') {
        throw new SsmError('UnknownOperationException', `Unknown operation ${target || '(none)'}`);
      }
      const body = parseBody(request.body.toString('utf8'));
      if (typeof body.Name === 'string') name = body.Name;
      answer = getParameter(body);
    } catch (error) {
      const ssmError = error instanceof SsmError ? error : new SsmError('InternalServerError', String(error));
      status = ssmError.status;
      outcome = ssmError.code;
      answer = ssmError;
    }
    res.writeHead(status, {
      'Content-Type': CONTENT_TYPE,
      'x-amzn-RequestId': randomUUID(),
      Date: at.toUTCString(),
    });
    res.end(JSON.stringify(answer));
    const accessKeyId = /Credential=([^/,\s]+)/.exec(request.headers.authorization ?? '')?.[1] ?? '-';
    options.log?.(`${operation || target || '-'} ${accessKeyId} ${name} -> ${status} ${outcome}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const listening = await listenOnLoopback(server, options.port, options.host);
  return { url: listening.url, port: listening.port, setParameter, close: listening.close };
}

// A local stand-in for AWS KMS that speaks the real JSON protocol (TrentService) over HTTP, so the
// unmodified AWS SDK signs JWTs against it as it would against AWS, and that refuses what AWS refuses
// (unsigned or badly signed calls, unknown or disabled keys, digests of the wrong length).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from '../loopback.ts';
import { authenticateCaller, type Caller, callerLookup, parseJsonObject, signedRequest } from './auth.ts';
import { KmsError } from './errors.ts';
import { loadKeyRing } from './keys.ts';
import { type Body, describeKey, getPublicKey, sign } from './operations.ts';

export type { Caller } from './auth.ts';
export { SIGNING_ALIAS } from './keys.ts';

export interface LocalKmsOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Part of the key ARNs; us-east-1 by default. */
  region?: string;
  /** Part of the key ARNs; 000000000000 by default. */
  account?: string;
  /** Keeps the keys as JSON: made on first use, read on restart, so the public keys stay the same. */
  keyFile?: string;
  /** How many keys to have (1 by default); two let tests rotate. The first is the alias's. */
  keyCount?: number;
  /** Who may call: requests signed with any other key are refused. */
  callers: Caller[];
  /** One line per request (operation, access key id, key, outcome). Never receives secrets. */
  log?: (line: string) => void;
}

export interface LocalKms {
  url: string;
  port: number;
  /** The uuid form, in key file order. */
  keyIds: string[];
  keyArns: string[];
  /** Sign and GetPublicKey refuse the key from now on (DisabledException), as after kms:DisableKey. */
  disableKey(keyId: string): void;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'TrentService.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

const parseBody = (text: string): Body =>
  parseJsonObject(text, (message) => new KmsError('SerializationException', message));

export async function startLocalKms(options: LocalKmsOptions): Promise<LocalKms> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const keys = await loadKeyRing({ region, account, count: options.keyCount ?? 1, file: options.keyFile });
  const lookup = callerLookup(options.callers, account);

  const operations: Record<string, (body: Body) => object> = {
    Sign: (body) => sign(keys, body),
    GetPublicKey: (body) => getPublicKey(keys, body),
    DescribeKey: (body) => describeKey(keys, body, account),
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const request = await signedRequest(req);
    const requestId = randomUUID();
    const at = new Date();
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    let status = 200;
    let outcome = 'OK';
    let answer: object;
    try {
      // Authentication comes first, as in AWS: an unsigned request learns nothing, not even which
      // operations exist.
      authenticateCaller(request, at, lookup);
      const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
      if (!run) throw new KmsError('UnknownOperationException', `Unknown operation ${target || '(none)'}`);
      answer = run(parseBody(request.body.toString('utf8')));
    } catch (error) {
      const kmsError =
        error instanceof KmsError ? error : new KmsError('KMSInternalException', String(error));
      status = kmsError.status;
      outcome = kmsError.code;
      answer = kmsError;
    }
    res.writeHead(status, {
      'Content-Type': CONTENT_TYPE,
      'x-amzn-RequestId': requestId,
      Date: at.toUTCString(),
    });
    res.end(JSON.stringify(answer));
    const accessKeyId = /Credential=([^/,\s]+)/.exec(request.headers.authorization ?? '')?.[1] ?? '-';
    options.log?.(`${operation || target || '-'} ${accessKeyId} -> ${status} ${outcome}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const listening = await listenOnLoopback(server, options.port, options.host);

  return {
    url: listening.url,
    port: listening.port,
    keyIds: keys.keys.map((key) => key.keyId),
    keyArns: keys.keys.map((key) => key.arn),
    disableKey: (keyId) => {
      keys.resolve(keyId).enabled = false;
    },
    close: listening.close,
  };
}

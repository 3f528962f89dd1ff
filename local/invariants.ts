/**
 * SECURITY.md's invariants as a checker that runs after every hardening test and at the end of the
 * load run. It reads the tables directly (never through a fault proxy) and compares them with what
 * the local STS issued and what callers were given:
 *
 * 1. every AccessKeyId the local STS issued has at most one audit record, and exactly one if it was
 *    ever handed out: returned to a caller as credentials, or named by a console sign-in URL (whose
 *    session must be that record's); nothing was handed out that STS did not issue, nor handed out
 *    twice; a sign-in answer carries no credentials;
 * 2. no request has more consumptions than maxUses, and usesRemaining agrees with them;
 * 3. every consumed use has a trace: the session record of its credentials, an `unissued` entry on
 *    the request, or (when even that write failed) a `request.unissued_unrecorded` log line;
 * 4. approvals come from distinct approvers, never the requester;
 * 5. no secret (SecretAccessKey, SessionToken, bearer token, hallpass's web-identity token, a
 *    console SigninToken) in a log line, an error body or an item.
 *
 * No vitest import here: the load script (scripts/load.ts) uses it too.
 */
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { fromItem } from '../lib/adapters/dynamo-item.ts';

type Item = Record<string, unknown>;

/** A console sign-in handed to a caller: the session its URL opens (no credentials left hallpass). */
export interface SignIn {
  sessionId: string;
  accessKeyId: string;
}

/** What callers were given and which secrets exist, as the tests and the load script saw them. */
export class Ledger {
  /** AccessKeyIds returned to callers, in order (a key returned twice appears twice). */
  readonly returned: string[] = [];
  /** Sessions handed out as console sign-in URLs, in order. */
  readonly signIns: SignIn[] = [];
  /** Sign-in answers that carried credentials too (each one a violation). */
  readonly signInsWithCredentials: string[] = [];
  /** Strings that must never be stored or logged: secrets, session tokens, bearer tokens. */
  readonly secrets = new Set<string>();
  /** Bodies of every error answer. */
  readonly errorBodies: string[] = [];
  /** Every log line the service wrote while observed. */
  readonly logs: string[] = [];

  /**
   * Records an HTTP answer: the credentials it returned, the console sign-in it handed out (told
   * apart by shape, `url` and `session`, so the load script needs no route names), or its body if
   * it is an error.
   */
  observe(status: number, raw: string): void {
    if (status >= 400) {
      this.errorBodies.push(raw);
      return;
    }
    if (status !== 200 || !(raw.includes('"credentials"') || raw.includes('"url"'))) return;
    let body: {
      credentials?: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string };
      url?: unknown;
      session?: { id?: unknown; accessKeyId?: unknown };
    };
    try {
      body = JSON.parse(raw);
    } catch {
      return;
    }
    const credentials = body.credentials;
    if (credentials?.accessKeyId) {
      this.returned.push(credentials.accessKeyId);
      if (credentials.secretAccessKey) this.secrets.add(credentials.secretAccessKey);
      if (credentials.sessionToken) this.secrets.add(credentials.sessionToken);
    }
    if (typeof body.url !== 'string' || !body.session) return;
    this.signInUrl(body.url);
    this.signIns.push({ sessionId: String(body.session.id), accessKeyId: String(body.session.accessKeyId) });
    if (credentials) this.signInsWithCredentials.push(String(body.session.id));
  }

  /** A console sign-in URL: its SigninToken opens the console as the session until it expires. */
  signInUrl(url: string): void {
    let token: string | null = null;
    try {
      token = new URL(url).searchParams.get('SigninToken');
    } catch {
      // Not a URL: nothing to hold secret.
    }
    if (token && token.length >= 20) this.secrets.add(token);
  }

  /** A bearer token the caller presented: neither it nor its signature may be logged or stored. */
  token(token: string): void {
    // Short strings ("Bearer", "x") are not secrets and would match ordinary text.
    if (token.length < 20) return;
    this.secrets.add(token);
    const signature = token.split('.')[2];
    if (signature && signature.length >= 16) this.secrets.add(signature);
  }

  /** Secrets seen on the wire from STS (an AssumeRole answer), including those never returned. */
  stsAnswer(xml: string): void {
    for (const match of xml.matchAll(/<(SecretAccessKey|SessionToken)>([^<]+)<\/\1>/g)) {
      if (match[2]) this.secrets.add(match[2]);
    }
  }

  /**
   * hallpass's own request to STS: the web-identity token it signed for AssumeRoleWithWebIdentity
   * opens the role to whoever holds it (for its few minutes), so it is a bearer token too.
   */
  stsRequest(form: string): void {
    const token = new URLSearchParams(form).get('WebIdentityToken');
    if (token) this.token(token);
  }

  /** The federation endpoint's getSigninToken answer, including one hallpass never passed on. */
  federationAnswer(json: string): void {
    try {
      const token = (JSON.parse(json) as { SigninToken?: unknown } | null)?.SigninToken;
      if (typeof token === 'string' && token.length >= 20) this.secrets.add(token);
    } catch {
      // Not a token answer.
    }
  }
}

export interface InvariantInput {
  client: DynamoDBClient;
  auditTable: string;
  requestsTable: string;
  /** Every AccessKeyId the local STS issued. */
  issued: string[];
  ledger: Ledger;
}

export interface InvariantReport {
  violations: string[];
  counts: {
    issued: number;
    returned: number;
    signIns: number;
    sessions: number;
    requests: number;
    consumptions: number;
  };
}

/** Binary attributes (the cursor key) as base64 strings: the service's converter has no need for them. */
function withoutBinary(value: AttributeValue): AttributeValue {
  if (value.B) return { S: `base64:${Buffer.from(value.B).toString('base64')}` };
  if (value.L) return { L: value.L.map(withoutBinary) };
  if (value.M)
    return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, withoutBinary(v)])) };
  return value;
}

/** Every item of a table, read directly (tables in tests are small). */
export async function scanTable(client: DynamoDBClient, TableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName, ExclusiveStartKey, ConsistentRead: true }));
    for (const item of page.Items ?? []) {
      const plain = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, withoutBinary(v)]));
      items.push(fromItem(plain) as Item);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Both tables as one string, to compare before and after a request that must change nothing. */
export async function tableSnapshot(client: DynamoDBClient, tables: { audit: string; requests: string }) {
  return JSON.stringify([await scanTable(client, tables.audit), await scanTable(client, tables.requests)]);
}

interface StoredRequest {
  id: string;
  requester: { sub: string };
  state: string;
  maxUses: number;
  usesRemaining: number;
  minApprovals: number;
  approvals: Array<{ approver: { sub: string } }>;
  consumptions: Array<{ sessionId: string }>;
  unissued: Array<{ sessionId: string }>;
}

/** Reads both tables and returns every violated invariant, one sentence each (empty: all hold). */
export async function checkInvariants(input: InvariantInput): Promise<InvariantReport> {
  const { ledger } = input;
  const violations: string[] = [];
  const audit = await scanTable(input.client, input.auditTable);
  const requestItems = await scanTable(input.client, input.requestsTable);

  // 1. Credentials and audit records.
  const issued = new Set(input.issued);
  const sessions = audit.filter((item) => item.kind === 'session');
  const recordsByKey = new Map<string, Item[]>();
  for (const session of sessions) {
    const key = String(session.accessKeyId);
    if (session.pk !== `session#${key}`)
      violations.push(`audit record ${String(session.pk)} does not name its AccessKeyId ${key}`);
    recordsByKey.set(key, [...(recordsByKey.get(key) ?? []), session]);
    if (!issued.has(key)) violations.push(`audit record for ${key}, which the local STS never issued`);
  }
  for (const [key, records] of recordsByKey) {
    if (records.length > 1) violations.push(`${key} has ${records.length} audit records`);
  }
  // Handed out: as credentials, or as a console sign-in URL for the session of those credentials.
  const handedOut = new Map<string, number>();
  for (const key of [...ledger.returned, ...ledger.signIns.map((s) => s.accessKeyId)])
    handedOut.set(key, (handedOut.get(key) ?? 0) + 1);
  for (const [key, count] of handedOut) {
    if (!issued.has(key)) violations.push(`${key} was handed to a caller but the local STS never issued it`);
    if (count > 1) violations.push(`${key} was handed to callers ${count} times`);
    if ((recordsByKey.get(key)?.length ?? 0) !== 1)
      violations.push(`${key} was handed to a caller without exactly one audit record (session#${key})`);
  }
  for (const signIn of ledger.signIns) {
    const record = recordsByKey.get(signIn.accessKeyId)?.[0];
    if (record && String(record.sessionId) !== signIn.sessionId)
      violations.push(
        `a sign-in URL names session ${signIn.sessionId} but the audit record of ${signIn.accessKeyId} is session ${String(record.sessionId)}`,
      );
  }
  for (const id of ledger.signInsWithCredentials)
    violations.push(`the console sign-in answer of session ${id} carried credentials`);
  const sessionIds = new Map<string, Item>();
  for (const session of sessions) {
    const id = String(session.sessionId);
    if (sessionIds.has(id)) violations.push(`session id ${id} has two audit records`);
    sessionIds.set(id, session);
  }

  // 2-4. Requests: uses, traces, approvals.
  const unrecorded = new Set(
    ledger.logs
      .filter((line) => line.includes('request.unissued_unrecorded'))
      .map((line) => {
        try {
          return String((JSON.parse(line) as { sessionId?: unknown }).sessionId);
        } catch {
          return '';
        }
      }),
  );
  const requests = requestItems.filter((item) => item.requesterSub !== undefined) as unknown as Array<
    StoredRequest & Item
  >;
  let consumptionCount = 0;
  for (const r of requests) {
    const consumptions = r.consumptions ?? [];
    const unissued = r.unissued ?? [];
    consumptionCount += consumptions.length;
    if (consumptions.length > r.maxUses)
      violations.push(`request ${r.id} has ${consumptions.length} consumptions for maxUses ${r.maxUses}`);
    if (r.usesRemaining < 0) violations.push(`request ${r.id} has usesRemaining ${r.usesRemaining}`);
    if (r.usesRemaining !== r.maxUses - consumptions.length)
      violations.push(
        `request ${r.id}: usesRemaining ${r.usesRemaining} but ${consumptions.length} of ${r.maxUses} uses consumed`,
      );
    const unissuedIds = new Set(unissued.map((u) => u.sessionId));
    const consumedIds = new Set(consumptions.map((c) => c.sessionId));
    for (const c of consumptions) {
      const session = sessionIds.get(c.sessionId);
      if (session && session.requestId !== r.id)
        violations.push(`session ${c.sessionId} consumed request ${r.id} but its record names another`);
      if (!session && !unissuedIds.has(c.sessionId) && !unrecorded.has(c.sessionId))
        violations.push(
          `request ${r.id}: use ${c.sessionId} was consumed without credentials and without a trace (no session record, no unissued entry, no log line)`,
        );
    }
    for (const id of unissuedIds) {
      if (!consumedIds.has(id)) violations.push(`request ${r.id}: unissued ${id} is not one of its uses`);
    }
    const approvers = (r.approvals ?? []).map((a) => a.approver.sub);
    if (new Set(approvers).size !== approvers.length)
      violations.push(`request ${r.id} counts an approver twice: ${approvers.join(', ')}`);
    if (approvers.includes(r.requester.sub)) violations.push(`request ${r.id} was approved by its requester`);
    if (r.state === 'approved' && approvers.length < r.minApprovals)
      violations.push(`request ${r.id} is approved with ${approvers.length} of ${r.minApprovals} approvals`);
  }
  for (const session of sessions) {
    if (typeof session.requestId !== 'string') continue;
    const r = requests.find((candidate) => candidate.id === session.requestId);
    if (!r?.consumptions?.some((c) => c.sessionId === session.sessionId))
      violations.push(
        `session ${String(session.sessionId)} names request ${session.requestId}, which has no such use`,
      );
  }

  // 5. Secrets.
  const stored = JSON.stringify([audit, requestItems]);
  const places: Array<[string, string]> = [
    ['a log line', ledger.logs.join('\n')],
    ['an error body', ledger.errorBodies.join('\n')],
    ['a DynamoDB item', stored],
  ];
  for (const secret of ledger.secrets) {
    for (const [where, text] of places) {
      if (text.includes(secret))
        violations.push(`a secret (${secret.length} characters) appears in ${where}`);
    }
  }

  return {
    violations,
    counts: {
      issued: issued.size,
      returned: ledger.returned.length,
      signIns: ledger.signIns.length,
      sessions: sessions.length,
      requests: requests.length,
      consumptions: consumptionCount,
    },
  };
}

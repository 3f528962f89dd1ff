/**
 * What the load run does: who the people are, the mix of operations (requests, approvals raced by
 * several approvers, vends raced on one approved request, denials, cancellations, listings that follow
 * their cursor, reads) with their weights, and the bad requests mixed in, each with the statuses
 * API.md allows for it. The driver (scripts/load.ts) picks among them and counts what came back.
 */
import type { RouteName } from '../../lib/http/routes.ts';
import type { Call } from '../../local/api-gateway.ts';

/** Requesters are engineer-0 .. engineer-11 (group engineers). */
export const REQUESTERS = 12;
/** Approvers of both entitlements (group approvers). */
export const APPROVERS = Array.from({ length: 6 }, (_, i) => `approver-${i}`);
/** The second group of quorum-two's approvals (group security). */
export const SECURITY = Array.from({ length: 3 }, (_, i) => `security-${i}`);

/** A request the run created, and what it knows of its state. */
export interface Tracked {
  id: string;
  entitlementId: 'prod-admin' | 'quorum-two';
  requester: number;
  maxUses: number;
  approvers: Set<string>;
  state: 'pending' | 'approved' | 'closed';
}

/** One bad request: its name in the report, the route, the call, and the statuses it may answer. */
export type BadRequest = [string, RouteName, Call, number[]];

/** What the scenarios share with the driver. */
export interface LoadContext {
  random(): number;
  pick<T>(items: readonly T[]): T;
  /** Claims up to `n` of the requests left; returns how many were granted. */
  take(n: number): number;
  /** How many requests have been claimed so far. */
  sent(): number;
  /** Sends one call, counting its status and checking it is one of `allowed`. */
  send(
    operation: string,
    route: RouteName,
    call: Call,
    allowed: number[],
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  tokenOf(sub: string): string;
  /** An expired token of engineer-0. */
  expired: string;
  tracked: Tracked[];
  /** Successful vends, by request id. */
  vendWins: Map<string, number>;
  races: { vendRaces: number; approvalRaces: number };
}

export interface Scenarios {
  /** A new request: also what an operation with nothing to act on falls back to. */
  createRequest(): Promise<void>;
  /** The mix, by weight. */
  operations: Array<[number, () => Promise<void>]>;
  badRequests: Array<() => BadRequest>;
}

export function scenarios(context: LoadContext): Scenarios {
  const { random, pick, take, sent, send, tokenOf, expired, tracked, vendWins, races } = context;
  const requester = () => Math.floor(random() * REQUESTERS);
  const pendingOne = () => tracked.filter((t) => t.state === 'pending');
  const approvedOne = () => tracked.filter((t) => t.state === 'approved');

  const createRequest = async () => {
    if (!take(1)) return;
    const who = requester();
    const entitlementId = random() < 0.65 ? 'prod-admin' : 'quorum-two';
    const answer = await send(
      'create request',
      'requests-create',
      {
        path: '/v1/requests',
        token: tokenOf(`engineer-${who}`),
        body: { entitlementId, justification: `Load test change ${sent()}`, ticket: `CHG-${sent()}` },
      },
      [201],
    );
    if (answer.status === 201) {
      tracked.push({
        id: String(answer.body.id),
        entitlementId,
        requester: who,
        maxUses: entitlementId === 'prod-admin' ? 1 : 2,
        approvers: new Set(),
        state: 'pending',
      });
    }
  };

  const operations: Array<[number, () => Promise<void>]> = [
    // Direct vend.
    [
      14,
      async () => {
        if (!take(1)) return;
        const sub = `engineer-${requester()}`;
        await send(
          'vend direct',
          'credentials',
          { path: '/v1/credentials', token: tokenOf(sub), body: { entitlementId: 'sandbox-readonly' } },
          [200],
        );
      },
    ],
    // A new request (prod-admin: quorum 1, one use; quorum-two: two approvers, two uses).
    [18, () => createRequest()],
    // Approvals, sometimes raced: several eligible approvers at once on the same request.
    [
      18,
      async () => {
        const candidates = pendingOne();
        if (!candidates.length) return;
        const request = pick(candidates);
        const pool = request.entitlementId === 'quorum-two' ? [...APPROVERS, ...SECURITY] : APPROVERS;
        const racers = random() < 0.3 ? 2 + Math.floor(random() * 3) : 1;
        const count = take(racers);
        if (!count) return;
        if (count > 1) races.approvalRaces += 1;
        const chosen = [...pool].sort(() => random() - 0.5).slice(0, count);
        const answers = await Promise.all(
          chosen.map((sub) =>
            send(
              count > 1 ? 'approve (raced)' : 'approve',
              'requests-approve',
              {
                method: 'POST',
                path: `/v1/requests/${request.id}/approve`,
                pathParameters: { id: request.id },
                token: tokenOf(sub),
                body: { comment: 'load' },
              },
              // 409: the quorum was reached by others, or this approver already approved.
              [200, 409],
            ),
          ),
        );
        for (const [i, answer] of answers.entries()) {
          if (answer.status === 200) request.approvers.add(chosen[i] as string);
          if (answer.body.status === 'approved') request.state = 'approved';
        }
      },
    ],
    // Vends on approved requests, sometimes raced by several calls of the requester.
    [
      16,
      async () => {
        const candidates = approvedOne();
        if (!candidates.length) return;
        const request = pick(candidates);
        const racers = random() < 0.4 ? 2 + Math.floor(random() * 4) : 1;
        const count = take(racers);
        if (!count) return;
        if (count > 1) races.vendRaces += 1;
        const answers = await Promise.all(
          Array.from({ length: count }, () =>
            send(
              count > 1 ? 'vend approved (raced)' : 'vend approved',
              'credentials',
              {
                path: '/v1/credentials',
                token: tokenOf(`engineer-${request.requester}`),
                body: { entitlementId: request.entitlementId, requestId: request.id },
              },
              [200, 409],
            ),
          ),
        );
        const wins = answers.filter((a) => a.status === 200).length;
        vendWins.set(request.id, (vendWins.get(request.id) ?? 0) + wins);
        if ((vendWins.get(request.id) ?? 0) >= request.maxUses || answers.some((a) => a.status === 409))
          request.state = 'closed';
      },
    ],
    // Listing, following the cursor once.
    [
      10,
      async () => {
        if (!take(1)) return;
        const approver = random() < 0.4;
        const sub = approver ? pick(APPROVERS) : `engineer-${requester()}`;
        const query: Record<string, string> = {
          view: approver ? 'approvable' : 'mine',
          limit: String(1 + Math.floor(random() * 5)),
        };
        if (random() < 0.3) query.status = pick(['pending', 'approved', 'consumed']);
        const first = await send(
          'list',
          'requests-list',
          { path: '/v1/requests', token: tokenOf(sub), query },
          [200],
        );
        const cursor = first.body.nextCursor;
        if (typeof cursor === 'string' && take(1)) {
          await send(
            'list (next page)',
            'requests-list',
            { path: '/v1/requests', token: tokenOf(sub), query: { ...query, cursor } },
            [200],
          );
        }
      },
    ],
    // Reads.
    [
      8,
      async () => {
        if (!tracked.length || !take(1)) return;
        const request = pick(tracked);
        await send(
          'get request',
          'requests-get',
          {
            path: `/v1/requests/${request.id}`,
            pathParameters: { id: request.id },
            token: tokenOf(`engineer-${request.requester}`),
          },
          [200],
        );
      },
    ],
    [
      4,
      async () => {
        if (!take(1)) return;
        await send(
          'entitlements',
          'entitlements',
          { path: '/v1/entitlements', token: tokenOf(pick(APPROVERS)) },
          [200],
        );
      },
    ],
    // Denials and cancellations of pending requests.
    [
      4,
      async () => {
        const candidates = pendingOne();
        if (!candidates.length || !take(1)) return;
        const request = pick(candidates);
        const answer = await send(
          'deny',
          'requests-deny',
          {
            method: 'POST',
            path: `/v1/requests/${request.id}/deny`,
            pathParameters: { id: request.id },
            token: tokenOf(pick(APPROVERS)),
            body: { reason: 'not now' },
          },
          [200, 409],
        );
        if (answer.status === 200) request.state = 'closed';
      },
    ],
    [
      3,
      async () => {
        const candidates = [...pendingOne(), ...approvedOne()];
        if (!candidates.length || !take(1)) return;
        const request = pick(candidates);
        const answer = await send(
          'cancel',
          'requests-cancel',
          {
            method: 'POST',
            path: `/v1/requests/${request.id}/cancel`,
            pathParameters: { id: request.id },
            token: tokenOf(`engineer-${request.requester}`),
          },
          [200, 409],
        );
        if (answer.status === 200) request.state = 'closed';
      },
    ],
  ];

  const badRequests: Array<() => BadRequest> = [
    () => [
      'bad: no token',
      'credentials',
      { path: '/v1/credentials', body: { entitlementId: 'sandbox-readonly' } },
      [401],
    ],
    () => ['bad: expired token', 'entitlements', { path: '/v1/entitlements', token: expired }, [401]],
    () => [
      'bad: roleArn in the body',
      'credentials',
      {
        path: '/v1/credentials',
        token: tokenOf('engineer-1'),
        body: { entitlementId: 'sandbox-readonly', roleArn: 'arn:aws:iam::222222222222:role/x' },
      },
      [400],
    ],
    () => [
      'bad: text/plain',
      'requests-create',
      {
        path: '/v1/requests',
        token: tokenOf('engineer-2'),
        rawBody: 'please',
        headers: { 'content-type': 'text/plain' },
      },
      [415],
    ],
    () => [
      'bad: malformed JSON',
      'credentials',
      {
        path: '/v1/credentials',
        token: tokenOf('engineer-3'),
        rawBody: '{"entitlementId":',
        headers: { 'content-type': 'application/json' },
      },
      [400],
    ],
    () => [
      'bad: 43201 s',
      'credentials',
      {
        path: '/v1/credentials',
        token: tokenOf('engineer-4'),
        body: { entitlementId: 'sandbox-readonly', durationSeconds: 43201 },
      },
      [400],
    ],
    () => [
      'bad: unknown entitlement',
      'credentials',
      { path: '/v1/credentials', token: tokenOf('engineer-5'), body: { entitlementId: 'root' } },
      [404],
    ],
    () => [
      'bad: no approval',
      'credentials',
      { path: '/v1/credentials', token: tokenOf('engineer-6'), body: { entitlementId: 'prod-admin' } },
      [403],
    ],
    () => [
      'bad: 20 KiB body',
      'requests-create',
      {
        path: '/v1/requests',
        token: tokenOf('engineer-7'),
        body: { entitlementId: 'prod-admin', justification: 'x'.repeat(20_000) },
      },
      [413],
    ],
    () => [
      'bad: forged cursor',
      'requests-list',
      { path: '/v1/requests', token: tokenOf('engineer-8'), query: { cursor: 'eyJ4IjoxfQ.AAAA' } },
      [400],
    ],
    () => {
      const request = tracked.length ? pick(tracked) : undefined;
      const id = request?.id ?? 'rnothere';
      return [
        'bad: approve as a requester',
        'requests-approve',
        {
          method: 'POST',
          path: `/v1/requests/${id}/approve`,
          pathParameters: { id },
          token: tokenOf('engineer-9'),
        },
        [403, 404],
      ];
    },
    () => {
      const request = tracked.length ? pick(tracked) : undefined;
      const id = request?.id ?? 'rnothere';
      const other = request ? (request.requester + 1) % REQUESTERS : 0;
      return [
        "bad: vend someone else's request",
        'credentials',
        {
          path: '/v1/credentials',
          token: tokenOf(`engineer-${other}`),
          body: { entitlementId: request?.entitlementId ?? 'prod-admin', requestId: id },
        },
        [404],
      ];
    },
  ];

  return { createRequest, operations, badRequests };
}

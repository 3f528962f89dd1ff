/**
 * `revoke` and `done`: end live sessions (POST /v1/sessions/{id}/revoke, POST /v1/revocations). The
 * role then denies them; the answer says, per role, whether a canary saw the deny applied (observed),
 * not yet (pending), or could not tell (unverified, and why).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { overallPropagation } from '../../lib/core/revocation-canary.ts';
import type { Api } from '../api.ts';
import { onePositional, parseCommand } from '../args.ts';
import { apiContext, type Command, type Io, usage } from '../context.ts';
import { cacheDir } from '../credentials.ts';
import { UsageError } from '../errors.ts';
import { json } from '../output.ts';

type Revocation = Awaited<ReturnType<Api['revokeSession']>>;

const REVOKE_USAGE = `usage: hallpass revoke <session id> --reason "<text>" [--profile <name>] [--json]
       hallpass revoke --principal <sub> --reason "<text>"
       hallpass revoke --entitlement <id> --reason "<text>"
Ends live sessions: one (auditors, or your own), every live session of a person (auditors, or
yourself), or of an entitlement (auditors). The role denies them within seconds.`;

const DONE_USAGE = `usage: hallpass done <entitlement> [--reason "<text>"] [--profile <name>] [--json]
Revokes your own live sessions of the entitlement and deletes its cached credentials.`;

function report(io: Io, answer: Revocation, asJson: boolean) {
  if (asJson) return io.output.out(json(answer));
  for (const s of answer.revoked)
    io.output.out(`Revoked session ${s.id} (${s.principal.sub}, ${s.entitlementId}, ${s.accessKeyId}).`);
  for (const role of answer.roles.filter((r) => r.roleWideFallback))
    io.output.err(
      `hallpass: the deny policy of ${role.roleArn} was full: every session of that role issued before now is denied`,
    );
  for (const { roleArn, propagation: p } of answer.roles) {
    if (p.status === 'observed') io.output.err(`${roleArn}: the deny was seen applied at ${p.observedAt}.`);
    else if (p.status === 'pending')
      io.output.err(
        `${roleArn}: the deny is written; IAM had not applied it yet when hallpass last checked (within seconds).`,
      );
    else
      io.output.err(
        `${roleArn}: the deny is written; hallpass could not check it is applied${p.reason ? `: ${p.reason}` : ''}.`,
      );
  }
}

export const revoke: Command = {
  name: 'revoke',
  summary: "end live sessions: one, a person's, or an entitlement's",
  usage: REVOKE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(
      args,
      { reason: { type: 'string' }, principal: { type: 'string' }, entitlement: { type: 'string' } },
      REVOKE_USAGE,
    );
    if (values.help) return usage(io, REVOKE_USAGE);
    const chosen = [positionals.length > 0, values.principal !== undefined, values.entitlement !== undefined];
    if (chosen.filter(Boolean).length !== 1)
      throw new UsageError(`give a session id, --principal or --entitlement (one of them)\n${REVOKE_USAGE}`);
    if (values.reason === undefined) throw new UsageError(`--reason is required\n${REVOKE_USAGE}`);
    const { api } = apiContext(values.profile, io);
    const answer =
      positionals.length > 0
        ? await api.revokeSession(onePositional(positionals, '<session id>', REVOKE_USAGE), values.reason)
        : await api.revokeSessions({
            ...(values.principal !== undefined ? { principal: values.principal } : {}),
            ...(values.entitlement !== undefined ? { entitlementId: values.entitlement } : {}),
            reason: values.reason,
          });
    report(io, answer, values.json);
    return 0;
  },
};

export const done: Command = {
  name: 'done',
  summary: 'revoke your own sessions of an entitlement and forget its cached credentials',
  usage: DONE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommand(args, { reason: { type: 'string' } }, DONE_USAGE);
    if (values.help) return usage(io, DONE_USAGE);
    const entitlementId = onePositional(positionals, '<entitlement>', DONE_USAGE);
    const { api, settings, tokens, now } = apiContext(values.profile, io);
    const me = tokens.identity()?.sub;
    const at = (now ?? Date.now)();
    // Auditors see everyone's sessions: keep the caller's own, live and not yet revoked.
    const { items } = await api.listSessions({ entitlementId, ...(me ? { principal: me } : {}), limit: 100 });
    const mine = items.filter(
      (s) => (!me || s.principal.sub === me) && Date.parse(s.expiresAt) > at && !s.revocation,
    );
    const revoked: Revocation['revoked'] = [];
    const roles: Revocation['roles'] = [];
    for (const s of mine) {
      const answer = await api.revokeSession(s.id, values.reason ?? 'done with it (hallpass done)');
      revoked.push(...answer.revoked);
      roles.push(...answer.roles);
    }
    let cleared = 0;
    try {
      for (const name of readdirSync(cacheDir(settings)))
        if (name.startsWith(`${entitlementId}.`) && name.endsWith('.json')) {
          rmSync(join(cacheDir(settings), name), { force: true });
          cleared++;
        }
    } catch {}
    const propagation = overallPropagation(roles.map((r) => r.propagation));
    if (values.json) io.output.out(json({ revoked, roles, propagation, cleared }));
    else {
      if (revoked.length === 0) io.output.out(`No live session of ${entitlementId} to revoke.`);
      else report(io, { revoked, roles, propagation }, false);
      io.output.out(`Deleted ${cleared} cached credential(s) of ${entitlementId}.`);
    }
    return 0;
  },
};

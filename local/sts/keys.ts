import { createHash, randomBytes } from 'node:crypto';
import type { CallerConfig, RoleConfig } from './config.ts';

/** Everything known about an access key: how to check its signature and who it speaks for. */
export interface Identity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  arn: string;
  userId: string;
  account: string;
  /** What trust policies match: the role behind an assumed-role session, else the ARN itself. */
  principalArn: string;
  /** Only sessions this server minted expire; configured callers live as long as the process. */
  expiration?: Date;
}

/** What the server recorded about a session it issued, for tests and the local federation endpoint. */
export interface SessionRecord {
  arn: string;
  roleArn: string;
  expiration: Date;
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  sourceIdentity?: string;
  /** Made by AssumeRole from a role session (role chaining, 1 h maximum). */
  chained: boolean;
  via: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
}

/** What the issuing action knows about a session beyond the role, name and duration. */
export type SessionDetails = Omit<SessionRecord, 'arn' | 'roleArn' | 'expiration'>;

const ASSUMED_ROLE_ARN = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// 256 is a multiple of 32, so `byte % 32` keeps the characters uniformly distributed.
function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE32[(bytes[i] ?? 0) % 32];
  return out;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** A stable unique id per role (AWS's are random but fixed at creation; a hash gives the same property). */
export const roleId = (roleArn: string) => `AROA${base32(digest(roleArn), 17)}`;

/** Sessions of an assumed role make every AssumeRole they call role chaining (1 h maximum). */
export const isAssumedRoleSession = (identity: Identity) => ASSUMED_ROLE_ARN.test(identity.arn);

function callerIdentity(caller: CallerConfig): Identity {
  const account = caller.arn.split(':')[4] ?? '';
  const assumed = ASSUMED_ROLE_ARN.exec(caller.arn);
  const principalArn =
    caller.principalArn ?? (assumed ? `arn:aws:iam::${account}:role/${assumed[2]}` : caller.arn);
  let userId = `AIDA${base32(digest(caller.arn), 17)}`;
  if (assumed) userId = `${roleId(principalArn)}:${assumed[3]}`;
  else if (caller.arn.endsWith(':root')) userId = account;
  return {
    accessKeyId: caller.accessKeyId,
    secretAccessKey: caller.secretAccessKey,
    sessionToken: caller.sessionToken,
    arn: caller.arn,
    userId,
    account,
    principalArn,
  };
}

/** The access keys the server accepts: the configured callers plus every session it has issued. */
export class KeyStore {
  private readonly keys = new Map<string, Identity>();
  private readonly issuedIds: string[] = [];
  private readonly sessions = new Map<string, SessionRecord>();
  /** When each session was issued: its `aws:TokenIssueTime`. */
  private readonly issuedAt = new Map<string, Date>();

  constructor(callers: CallerConfig[]) {
    for (const caller of callers) this.keys.set(caller.accessKeyId, callerIdentity(caller));
  }

  get(accessKeyId: string): Identity | undefined {
    return this.keys.get(accessKeyId);
  }

  /** A session's issue time (`aws:TokenIssueTime`, to the second); undefined for other keys. */
  issueTime(accessKeyId: string): Date | undefined {
    const at = this.issuedAt.get(accessKeyId);
    return at && new Date(at);
  }

  issued(): string[] {
    return [...this.issuedIds];
  }

  /** A copy, so callers cannot change what was recorded. */
  session(accessKeyId: string): SessionRecord | undefined {
    const record = this.sessions.get(accessKeyId);
    return (
      record && {
        ...record,
        expiration: new Date(record.expiration),
        tags: { ...record.tags },
        transitiveTagKeys: [...record.transitiveTagKeys],
      }
    );
  }

  issue(
    role: RoleConfig,
    sessionName: string,
    durationSeconds: number,
    now: Date,
    details: SessionDetails,
  ): Identity {
    const account = role.arn.split(':')[4] ?? '';
    // The assumed-role ARN drops the role's path: arn:aws:iam::1:role/a/b/name -> assumed-role/name.
    const roleName = role.arn.slice(role.arn.lastIndexOf('/') + 1);
    const identity: Identity = {
      accessKeyId: `ASIA${base32(randomBytes(16), 16)}`,
      // 30 random bytes are exactly 40 base64 characters, the shape of a real secret key.
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(384).toString('base64'),
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      userId: `${roleId(role.arn)}:${sessionName}`,
      account,
      principalArn: role.arn,
      // AWS reports expirations to the second.
      expiration: new Date((Math.floor(now.getTime() / 1000) + durationSeconds) * 1000),
    };
    this.keys.set(identity.accessKeyId, identity);
    this.issuedIds.push(identity.accessKeyId);
    this.issuedAt.set(identity.accessKeyId, new Date(Math.floor(now.getTime() / 1000) * 1000));
    const { sourceIdentity, ...rest } = details;
    this.sessions.set(identity.accessKeyId, {
      arn: identity.arn,
      roleArn: role.arn,
      expiration: identity.expiration ?? now,
      ...rest,
      // Left out rather than undefined, so records compare equal to literals without the key.
      ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
    });
    return identity;
  }
}

/**
 * Which hallpass session a CloudTrail record belongs to: the logic of the README's Athena query
 * ("Joining CloudTrail"), in code that tests run on records of CloudTrail's documented shape. Pure.
 *
 * 1. `accessKeyId`: the record's `userIdentity.accessKeyId` is a session's AccessKeyId (the session's
 *    own calls), or `responseElements.credentials.accessKeyId` of hallpass's own AssumeRole is (the
 *    issuance, as logged by STS).
 * 2. `roleChain`: the session's credentials called AssumeRole again (role chaining); the new
 *    AccessKeyId in that record's response is followed, so the chained session's calls join too.
 * 3. `sourceIdentity`: neither key is known (the chaining happened in a trail that was not read), but
 *    `userIdentity.sessionContext.sourceIdentity` is the session's SourceIdentity, which STS carries
 *    through every chained session and which no one can change, and the call falls within the
 *    session's validity (issuedAt to expiresAt, plus one hour: a chained session lasts at most an
 *    hour). A person's SourceIdentity is the same in all their sessions, so this match names every
 *    session of that person that was valid then.
 */

/** The fields of a CloudTrail record that the join reads (AWS's documented record body). */
export interface CloudTrailRecord {
  eventID: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  userIdentity?: {
    type?: string;
    accessKeyId?: string;
    sessionContext?: { sourceIdentity?: string };
  };
  responseElements?: { credentials?: { accessKeyId?: string } } | null;
}

/** The fields of a hallpass session (GET /v1/sessions, the NDJSON export) that the join reads. */
export interface JoinableSession {
  id: string;
  issuedAt: string;
  expiresAt: string;
  sourceIdentity: string;
  accessKeyId: string;
}

export interface CloudTrailMatch {
  eventID: string;
  sessionId: string;
  by: 'accessKeyId' | 'roleChain' | 'sourceIdentity';
}

/** The longest a chained role session can last (STS caps role chaining at one hour). */
export const ROLE_CHAIN_MAX_MS = 3600_000;

const isAssumeRole = (r: CloudTrailRecord) =>
  r.eventSource === 'sts.amazonaws.com' && r.eventName.startsWith('AssumeRole');

/** Every match of each record to a session, in the records' order (a record may match none). */
export function joinCloudTrail(records: CloudTrailRecord[], sessions: JoinableSession[]): CloudTrailMatch[] {
  const byKey = new Map<string, { session: JoinableSession; by: CloudTrailMatch['by'] }>(
    sessions.map((s) => [s.accessKeyId, { session: s, by: 'accessKeyId' as const }]),
  );
  // Role chains: a key issued to a call made with a known key belongs to the same session. In time
  // order, so that a chain of chains is followed.
  const chronological = [...records].sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  for (const r of chronological) {
    const caller = r.userIdentity?.accessKeyId;
    const issued = r.responseElements?.credentials?.accessKeyId;
    const known = caller === undefined ? undefined : byKey.get(caller);
    if (isAssumeRole(r) && known && issued && !byKey.has(issued))
      byKey.set(issued, { session: known.session, by: 'roleChain' });
  }
  const matches: CloudTrailMatch[] = [];
  for (const r of records) {
    const caller = r.userIdentity?.accessKeyId;
    const issued = isAssumeRole(r) ? r.responseElements?.credentials?.accessKeyId : undefined;
    const viaCaller = caller === undefined ? undefined : byKey.get(caller);
    const issuance = issued === undefined ? undefined : byKey.get(issued);
    if (issuance?.by === 'accessKeyId' && !viaCaller) {
      matches.push({ eventID: r.eventID, sessionId: issuance.session.id, by: 'accessKeyId' });
    } else if (viaCaller) {
      matches.push({ eventID: r.eventID, sessionId: viaCaller.session.id, by: viaCaller.by });
    } else {
      const identity = r.userIdentity?.sessionContext?.sourceIdentity;
      if (identity === undefined) continue;
      const at = Date.parse(r.eventTime);
      for (const s of sessions) {
        if (
          s.sourceIdentity === identity &&
          at >= Date.parse(s.issuedAt) &&
          at <= Date.parse(s.expiresAt) + ROLE_CHAIN_MAX_MS
        )
          matches.push({ eventID: r.eventID, sessionId: s.id, by: 'sourceIdentity' });
      }
    }
  }
  return matches;
}

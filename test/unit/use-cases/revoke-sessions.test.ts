/**
 * The role policy update of revocations, with the lock's DynamoDB calls mocked and IAM faked: only an
 * auditor's revocation may fold a full policy into the role-wide deny; anyone else's is refused and
 * leaves the policy as it was.
 */
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RolePolicies } from '../../../lib/adapters/iam.ts';
import {
  addSessions,
  emptyState,
  parsePolicy,
  policySize,
  REVOCATION_POLICY_BUDGET,
  renderPolicy,
  SELF_REVOCATION_BUDGET,
} from '../../../lib/core/revocation.ts';
import { RevocationPolicyFullError } from '../../../lib/errors.ts';
import { type RevokeDeps, updateRolePolicy } from '../../../lib/use-cases/revoke-sessions.ts';
import { SANDBOX_ROLE, testCatalog } from '../fixtures.ts';

const dynamodb = mockClient(DynamoDBClient);
const NOW = new Date('2030-01-01T12:00:00Z');
const tables = new DynamoDBClient({ region: 'us-east-1' });

/** A policy of `count` live session ids (500: over the budget). */
function fullPolicy(count = 500): string {
  const state = emptyState();
  addSessions(
    state,
    Array.from({ length: count }, (_, i) => ({
      id: `full${String(i).padStart(12, '0')}`,
      expiresAt: '2030-01-01T12:30:00Z',
    })),
  );
  return renderPolicy(state);
}

function fakeIam(document: string | undefined) {
  const writes: string[] = [];
  const policies: RolePolicies = {
    read: async () => document,
    write: async (_role, written) => {
      writes.push(written);
      return true;
    },
  };
  return { policies, writes };
}

function depsWith(policies: RolePolicies): RevokeDeps {
  return {
    catalog: testCatalog(),
    audit: { client: tables, tableName: 'hallpass-test-audit', retentionDays: 400 },
    requests: { client: tables, tableName: 'hallpass-test-requests', retentionDays: 400 },
    policies: async () => policies,
    now: () => NOW,
  };
}

const addOne = (state: ReturnType<typeof emptyState>) =>
  addSessions(state, [{ id: 'revokedsession01', expiresAt: '2030-01-01T12:45:00Z' }]);

/** The lock releases sent to DynamoDB: whether each stored a document. */
const releases = () =>
  dynamodb
    .commandCalls(UpdateItemCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.UpdateExpression?.includes(':zero'))
    .map((input) => input.ExpressionAttributeValues?.[':doc']?.S);

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({ Attributes: {} });
});

describe('updating a full revocation policy', () => {
  it("refuses a non-auditor's revocation, writes nothing to IAM and gives the lock back unchanged", async () => {
    const iam = fakeIam(fullPolicy());
    await expect(
      updateRolePolicy(depsWith(iam.policies), SANDBOX_ROLE, addOne, { mayFallBack: false }),
    ).rejects.toBeInstanceOf(RevocationPolicyFullError);
    expect(iam.writes).toEqual([]);
    expect(releases()).toEqual([undefined]);
  });

  it("folds an auditor's revocation into the role-wide deny, and says so", async () => {
    const iam = fakeIam(fullPolicy());
    const outcome = await updateRolePolicy(depsWith(iam.policies), SANDBOX_ROLE, addOne, {
      mayFallBack: true,
    });
    expect(outcome.roleWideFallback).toBe(true);
    expect(iam.writes).toHaveLength(1);
    expect(parsePolicy(iam.writes[0]).role).not.toBeNull();
  });

  it("refuses a non-auditor's revocation when IAM finds no room (LimitExceeded), after one refused write", async () => {
    const writes: string[] = [];
    const policies: RolePolicies = {
      read: async () => undefined,
      write: async (_role, written) => {
        writes.push(written);
        return false;
      },
    };
    await expect(
      updateRolePolicy(depsWith(policies), SANDBOX_ROLE, addOne, { mayFallBack: false }),
    ).rejects.toBeInstanceOf(RevocationPolicyFullError);
    // IAM refused the one write; no role-wide deny was attempted.
    expect(writes).toHaveLength(1);
    expect(parsePolicy(writes[0]).role).toBeNull();
  });

  it("keeps the last quarter of the budget for auditors: a person's own revocation is refused there, an auditor's is exact", async () => {
    // Between the two budgets: past what a person's own revocation may fill, within an auditor's.
    const document = fullPolicy(360);
    expect(policySize(document)).toBeGreaterThan(SELF_REVOCATION_BUDGET);
    expect(policySize(document)).toBeLessThan(REVOCATION_POLICY_BUDGET - 100);
    const owner = fakeIam(document);
    await expect(
      updateRolePolicy(depsWith(owner.policies), SANDBOX_ROLE, addOne, { mayFallBack: false }),
    ).rejects.toBeInstanceOf(RevocationPolicyFullError);
    expect(owner.writes).toEqual([]);
    const auditor = fakeIam(document);
    const outcome = await updateRolePolicy(depsWith(auditor.policies), SANDBOX_ROLE, addOne, {
      mayFallBack: true,
    });
    expect(outcome.roleWideFallback).toBe(false);
    expect(parsePolicy(auditor.writes[0]).role).toBeNull();
  });

  it('lets anyone add to a policy with room', async () => {
    const iam = fakeIam(undefined);
    const outcome = await updateRolePolicy(depsWith(iam.policies), SANDBOX_ROLE, addOne, {
      mayFallBack: false,
    });
    expect(outcome.roleWideFallback).toBe(false);
    expect([...(parsePolicy(iam.writes[0]).sessions.values().next().value ?? [])]).toEqual([
      'revokedsession01',
    ]);
  });
});

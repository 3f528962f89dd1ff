import type { IssuerKey } from '../../local/issuer/keys.ts';
import { DEFAULT_AUDIENCE } from '../../local/paths.ts';

export const TEST_STAGE = 'test';
export const AUDIENCE = DEFAULT_AUDIENCE;

export interface TestStack {
  dynamodb: string;
  sts: string;
  issuer: string;
  issuerKey: IssuerKey;
  auditTable: string;
  requestsTable: string;
  /** The environment a deployed function would have, pointed at the test stack (local/stack.ts). */
  env: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}

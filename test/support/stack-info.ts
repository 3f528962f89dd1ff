import type { IssuerKey } from '../../local/issuer/keys.ts';

export const TEST_STAGE = 'test';
export const AUDIENCE = 'hallpass';

export interface TestStack {
  dynamodb: string;
  sts: string;
  issuer: string;
  issuerKey: IssuerKey;
  auditTable: string;
  requestsTable: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}

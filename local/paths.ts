/** Where local mode keeps its state: .hallpass/ in the working tree (git-ignored). */
import { resolve } from 'node:path';

export const STATE_DIR = resolve(process.env.HALLPASS_STATE_DIR ?? '.hallpass');
export const ISSUER_KEY_FILE = resolve(STATE_DIR, 'issuer-key.json');
export const STACK_FILE = resolve(STATE_DIR, 'stack.json');
export const DYNAMODB_DIR = resolve(STATE_DIR, 'dynamodb');
export const DEFAULT_AUDIENCE = 'hallpass';
export const LOCAL_STAGE = 'local';

/** What `npm start` writes for `npm run token` and other local tools. */
export interface StackInfo {
  api: string;
  sts: string;
  dynamodb: string;
  issuer: string;
  audience: string;
  devIssuer: boolean;
}

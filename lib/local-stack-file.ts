/**
 * The file in which `npm start` names the running local stack, and what it holds. The local tools
 * (`npm run token`) and the CLI (`hallpass configure --local`) read it; this module is all they
 * share, so the CLI needs nothing of local/.
 */
import { resolve } from 'node:path';

/** Where local mode keeps its state when HALLPASS_STATE_DIR does not say otherwise. */
export const DEFAULT_STATE_DIR = '.hallpass';

/** The stack file under a state directory (HALLPASS_STATE_DIR, else .hallpass/). */
export function stackFile(stateDir: string | undefined): string {
  return resolve(stateDir ?? DEFAULT_STATE_DIR, 'stack.json');
}

/** What `npm start` writes for `npm run token` and other local tools. */
export interface StackInfo {
  api: string;
  sts: string;
  dynamodb: string;
  issuer: string;
  audience: string;
  devIssuer: boolean;
}

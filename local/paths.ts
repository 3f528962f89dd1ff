/** Where local mode keeps its state: .hallpass/ in the working tree (git-ignored). */
import { resolve } from 'node:path';
import { DEFAULT_STATE_DIR, stackFile } from '../lib/local-stack-file.ts';

export const STATE_DIR = resolve(process.env.HALLPASS_STATE_DIR ?? DEFAULT_STATE_DIR);
export const ISSUER_KEY_FILE = resolve(STATE_DIR, 'issuer-key.json');
/** The local KMS's keys: kept, so hallpass's JWKS survives a restart. */
export const KMS_KEY_FILE = resolve(STATE_DIR, 'kms-keys.json');
export const STACK_FILE = stackFile(STATE_DIR);
export const DYNAMODB_DIR = resolve(STATE_DIR, 'dynamodb');
export const DEFAULT_AUDIENCE = 'hallpass';
export const LOCAL_STAGE = 'local';

/**
 * Runs before each test file: points the service's configuration at the local stack, exactly as
 * a deployment's environment would (the SDK's AWS_ENDPOINT_URL_* conventions included).
 */
import { inject } from 'vitest';

Object.assign(process.env, inject('stack').env, { HALLPASS_CATALOG: 'test/fixtures/catalog.yaml' });

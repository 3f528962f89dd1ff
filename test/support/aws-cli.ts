import { existsSync } from 'node:fs';

/**
 * The AWS CLI the tests drive: Debian's AWS CLI v2 (/usr/bin/aws, which .ci/run installs) when it
 * is there, whatever else is first on PATH; otherwise the `aws` on PATH.
 */
export const AWS_CLI = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

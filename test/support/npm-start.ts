/**
 * Waiting for `npm start` to be ready, as a person would: its `ready api=… sts=… dynamodb=…
 * issuer=…` line and the end of its guide. Used by every test that starts the stack.
 */
import type { ChildProcess } from 'node:child_process';

export const READY_LINE = /^ready api=(\S+) sts=(\S+) dynamodb=(\S+) issuer=(\S+)$/m;

/**
 * Collects the child's stdout and stderr and resolves with the ready line's match once the guide
 * has been printed in full; rejects with everything printed if the process exits first or the time
 * runs out.
 */
export function waitForReady(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ match: RegExpMatchArray; output: () => string }> {
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line within ${timeoutMs / 1000} s:\n${output}`)),
      timeoutMs,
    );
    const check = () => {
      const match = READY_LINE.exec(output);
      // The guide ends with how to stop: wait for all of it.
      if (match && output.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve({ match, output: () => output });
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`npm start exited:\n${output}`));
    });
  });
}

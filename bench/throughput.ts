/**
 * Throughput: vends per second at several concurrencies, with the callers in one process (the
 * handler module, as one Lambda-like Node process would run it) and the local services in another
 * (this one, idle but for serving them), so that callers and services each have a core: the figure
 * then grows with concurrency until one side saturates. With both in one thread it could not grow
 * at all. The baseline's throughput is measured beside it, level by level.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ThroughputFigures, ThroughputOptions } from './hot-path.ts';
import type { Stack } from './stack.ts';

const CHILD = fileURLToPath(new URL('throughput-child.ts', import.meta.url));

export interface ThroughputJob extends ThroughputOptions {
  warmup: number;
  /** The services of this process, and tokens signed here (the issuer's key stays in this process). */
  target: { urls: Stack['urls']; tables: Stack['tables']; env: Stack['env']; tokens: string[] };
}

async function signTokens(stack: Stack, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await stack.token());
  return tokens;
}

export async function measureThroughputApart(
  stack: Stack,
  options: ThroughputOptions & { warmup: number },
): Promise<ThroughputFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'hallpass-bench-tp-'));
  try {
    const job: ThroughputJob = {
      ...options,
      target: { urls: stack.urls, tables: stack.tables, env: stack.env, tokens: await signTokens(stack, 65) },
    };
    const file = join(dir, 'job.json');
    writeFileSync(file, JSON.stringify(job));
    return await new Promise<ThroughputFigures>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], {
        env: { ...process.env, ...stack.env },
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let stderr = '';
      child.stdio[3]?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-4000);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        try {
          if (code !== 0) throw new Error(`exit ${code}`);
          resolve(JSON.parse(out) as ThroughputFigures);
        } catch (error) {
          reject(new Error(`the throughput process failed (${String(error)}):\n${out}\n${stderr}`));
        }
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The callers' process of the throughput measure (see throughput.ts): the handler module and the
 * baseline clients, pointed at the services of the parent process. Reports on file descriptor 3.
 *   node --import tsx bench/throughput-child.ts <job.json>
 */
import { readFileSync, writeSync } from 'node:fs';
import { measureThroughput, prepareHotBench } from './hot-path.ts';
import type { ThroughputJob } from './throughput.ts';

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ThroughputJob;
const { tokens, ...target } = job.target;
let next = 0;
const bench = await prepareHotBench(
  { ...target, token: async () => tokens[next++ % tokens.length] as string },
  job.warmup,
);
try {
  const figures = await measureThroughput(bench, {
    seconds: job.seconds,
    rounds: job.rounds,
    concurrency: job.concurrency,
  });
  writeSync(3, JSON.stringify(figures));
} finally {
  bench.close();
}
process.exit(0);

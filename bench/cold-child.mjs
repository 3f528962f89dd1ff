// One cold start: a fresh Node process imports a bundled function, serves one event and reports on
// file descriptor 3 (stdout and stderr belong to the function's logs). Plain JavaScript, run by plain
// `node`, so that nothing but Node itself runs before the import.
//   node cold-child.mjs <module.mjs> <input.json>   input: {"event": ...}
import { randomUUID } from 'node:crypto';
import { readFileSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const bootMs = performance.now();
const [modulePath, inputPath] = process.argv.slice(2);
const report = (fields) => writeSync(3, `${JSON.stringify(fields)}\n`);

// Peak RSS of this process. On Linux, getrusage's maxRSS (process.resourceUsage().maxRSS) survives
// fork and exec, so a child reports its parent's peak if that was higher: read the high-water mark
// of this process's own address space (VmHWM) instead, where there is one.
function peakRss() {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return { maxRssKb: Number(kb), rssSource: 'VmHWM' };
  } catch {}
  return { maxRssKb: process.resourceUsage().maxRSS, rssSource: 'maxRSS' };
}

try {
  const { event } = JSON.parse(readFileSync(inputPath, 'utf8'));
  const started = Date.now();
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'hallpass-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:hallpass-bench',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/hallpass-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 15_000 - (Date.now() - started),
  };
  const importStart = performance.now();
  const { handler } = await import(pathToFileURL(modulePath).href);
  const imported = performance.now();
  const result = await handler(event, context);
  const answered = performance.now();
  report({
    status: result?.statusCode ?? null,
    body: result?.statusCode === 200 ? undefined : String(result?.body ?? ''),
    bootMs,
    importMs: imported - importStart,
    invokeMs: answered - imported,
    ...peakRss(),
  });
  process.exit(0);
} catch (error) {
  report({ status: null, error: String(error?.stack ?? error) });
  process.exit(1);
}

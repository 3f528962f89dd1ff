/** The goals of issue 8, the pass verdicts, and the table printed for people. */

export const GOALS = {
  /** A new token per vend (issue 15: <= 1.2); with a token reused, hotPathReusedRatioP50 (<= 1.1). */
  hotPathRatioP50: 1.2,
  hotPathReusedRatioP50: 1.1,
  hotPathRatioP99: 1.25,
  coldStartRatio: 1.2,
  /** The same, with an issuer that answers after --issuer-delay-ms (80 ms by default). */
  coldStartDelayedRatio: 1.2,
  coldStartDelayedStoredRatio: 1.2,
  /** Per function, minified JavaScript as Lambda loads it (300 KB). */
  bundleBytesMax: 300_000,
  auditScaleRatio: 1.5,
  /**
   * Grows with concurrency until the loopback services saturate: at each step (c1 to c10, c10 to
   * c50) where the baseline grows by more than 10%, vends grow by more than 10% too; where the
   * baseline does not (the services are saturated), vends lose at most 10% more than it does.
   */
  vendThroughput: 'grows (>10%) wherever the raw SDK baseline grows; else keeps within 10% of its change',
} as const;

// biome-ignore lint/suspicious/noExplicitAny: the results are a flat bag of figures, read by name.
export type Results = Record<string, any>;

export type Verdict = boolean | null;

const atMost = (value: unknown, goal: number): Verdict => (typeof value === 'number' ? value <= goal : null);

export function verdicts(r: Results): Record<string, Verdict> {
  const sizes = r.bundleBytes as Record<string, number> | undefined;
  const tp = r.vendThroughput as Record<string, number | null> | undefined;
  const raw = r.rawThroughput as Record<string, number | null> | undefined;
  let throughput: Verdict = null;
  const levels = Object.keys(tp ?? {});
  if (
    tp &&
    raw &&
    levels.length > 1 &&
    levels.every((k) => typeof tp[k] === 'number' && typeof raw[k] === 'number')
  ) {
    throughput = levels.slice(1).every((level, i) => {
      const previous = levels[i] as string;
      const vendGrowth = (tp[level] as number) / (tp[previous] as number);
      const rawGrowth = (raw[level] as number) / (raw[previous] as number);
      return rawGrowth > 1.1 ? vendGrowth > 1.1 : vendGrowth >= 0.9 * rawGrowth;
    });
  }
  return {
    hotPathRatioP50: atMost(r.hotPathRatioP50, GOALS.hotPathRatioP50),
    hotPathRatioP99: atMost(r.hotPathRatioP99, GOALS.hotPathRatioP99),
    hotPathReusedRatioP50: atMost(r.hotPathReusedRatioP50, GOALS.hotPathReusedRatioP50),
    coldStartRatio: atMost(r.coldStartRatio, GOALS.coldStartRatio),
    coldStartDelayedRatio: atMost(r.coldStartDelayedRatio, GOALS.coldStartDelayedRatio),
    coldStartDelayedStoredRatio: atMost(r.coldStartDelayedStoredRatio, GOALS.coldStartDelayedStoredRatio),
    bundleBytes: sizes ? Object.values(sizes).every((size) => size <= GOALS.bundleBytesMax) : null,
    vendThroughput: throughput,
    auditScaleRatio: atMost(r.auditScaleRatio, GOALS.auditScaleRatio),
  };
}

const show = (value: unknown, unit = ''): string => {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return `${value}${unit}`;
  return String(value);
};

const mark = (verdict: Verdict | undefined): string =>
  verdict === true ? 'ok' : verdict === false ? 'MISSED' : verdict === null ? 'n/a' : '';

/** A plain-text table: figure, value, goal, verdict. */
export function table(r: Results, pass: Record<string, Verdict>): string {
  const rows: Array<[string, string, string, string]> = [];
  const section = (title: string) => rows.push([title, '', '', '']);
  const row = (name: string, value: string, goal = '', verdict = '') =>
    rows.push([`  ${name}`, value, goal, verdict]);

  if ('vendP50Ms' in r) {
    section(
      `Hot path (${r.hotPathIterations} vends with a new token, as many with a reused one and as many baseline calls, interleaved)`,
    );
    row('vend p50 / p99', `${show(r.vendP50Ms, ' ms')} / ${show(r.vendP99Ms, ' ms')}`);
    row('raw SDK p50 / p99', `${show(r.rawP50Ms, ' ms')} / ${show(r.rawP99Ms, ' ms')}`);
    row(
      'hotPathRatioP50',
      show(r.hotPathRatioP50),
      `<= ${GOALS.hotPathRatioP50}`,
      mark(pass.hotPathRatioP50),
    );
    row(
      'hotPathRatioP99',
      show(r.hotPathRatioP99),
      `<= ${GOALS.hotPathRatioP99}`,
      mark(pass.hotPathRatioP99),
    );
    row(
      'vend p50 / p99, token reused',
      `${show(r.vendReusedP50Ms, ' ms')} / ${show(r.vendReusedP99Ms, ' ms')}`,
    );
    row(
      'hotPathReusedRatioP50 (P99)',
      `${show(r.hotPathReusedRatioP50)} (${show(r.hotPathReusedRatioP99)})`,
      `<= ${GOALS.hotPathReusedRatioP50}`,
      mark(pass.hotPathReusedRatioP50),
    );
    row('hallpass overhead p50', show(r.overheadP50Ms, ' ms'));
    row(
      'awsCallsPerVend',
      `${show(r.awsCallsPerVend)} (sts ${r.callsPerVend?.sts}, dynamodb ${r.callsPerVend?.dynamodb}, issuer ${r.callsPerVend?.issuer})`,
      '2',
    );
    row(
      'new connections / log lines / EMF lines per vend',
      `${show(r.newConnectionsPerVend)} / ${show(r.logLinesPerVend)} / ${show(r.metricLinesPerVend)}`,
    );
  }
  if ('coldStartMs' in r) {
    section(`Cold start (${r.coldStartRuns} fresh processes each, alternating; medians)`);
    row('coldStartMs (vend bundle)', show(r.coldStartMs, ' ms'));
    row('coldStartRawMs (SDK clients only)', show(r.coldStartRawMs, ' ms'));
    row('coldStartRatio', show(r.coldStartRatio), `<= ${GOALS.coldStartRatio}`, mark(pass.coldStartRatio));
    row(`coldStartDelayedMs (issuer answers after ${r.issuerDelayMs} ms)`, show(r.coldStartDelayedMs, ' ms'));
    row(
      'coldStartDelayedRatio',
      show(r.coldStartDelayedRatio),
      `<= ${GOALS.coldStartDelayedRatio}`,
      mark(pass.coldStartDelayedRatio),
    );
    row(
      'delayed, HALLPASS_JWKS_URI set: ms (ratio)',
      `${show(r.coldStartDelayedJwksUriMs, ' ms')} (${show(r.coldStartDelayedJwksUriRatio)})`,
    );
    row(
      'coldStartDelayedStoredRatio (JWKS from the requests table): ms (ratio)',
      `${show(r.coldStartDelayedStoredMs, ' ms')} (${show(r.coldStartDelayedStoredRatio)})`,
      `<= ${GOALS.coldStartDelayedStoredRatio}`,
      mark(pass.coldStartDelayedStoredRatio),
    );
    const vp = r.vendPhasesMs ?? {};
    const dp = r.delayedPhasesMs ?? {};
    const rp = r.rawPhasesMs ?? {};
    row('vend boot / import / invoke', `${show(vp.boot)} / ${show(vp.import)} / ${show(vp.invoke)} ms`);
    row('delayed boot / import / invoke', `${show(dp.boot)} / ${show(dp.import)} / ${show(dp.invoke)} ms`);
    const sp = r.storedPhasesMs ?? {};
    row('stored boot / import / invoke', `${show(sp.boot)} / ${show(sp.import)} / ${show(sp.invoke)} ms`);
    if (r.compared) {
      const cp = r.compared.storedPhasesMs;
      row(
        `stored, ${r.compared.package}: ms (ratio)`,
        `${show(r.compared.coldStartDelayedStoredMs, ' ms')} (${show(r.compared.coldStartDelayedStoredRatio)})`,
      );
      row('  its boot / import / invoke', `${show(cp.boot)} / ${show(cp.import)} / ${show(cp.invoke)} ms`);
    }
    row('raw boot / import / invoke', `${show(rp.boot)} / ${show(rp.import)} / ${show(rp.invoke)} ms`);
    row('coldStartRssMb (raw)', `${show(r.coldStartRssMb, ' MB')} (${show(r.coldStartRawRssMb, ' MB')})`);
    const served = Object.entries(r.requestsPerColdVend ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    row('requests per cold vend', served || '-');
    const servedStored = Object.entries(r.requestsPerColdVendStored ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    row('requests per cold vend, stored JWKS', servedStored || '-');
    for (const [name, size] of Object.entries((r.bundleBytes ?? {}) as Record<string, number>)) {
      row(`bundleBytes ${name}`, `${size}`, `<= ${GOALS.bundleBytesMax}`, mark(size <= GOALS.bundleBytesMax));
    }
    row('rawBundleBytes (SDK clients only)', show(r.rawBundleBytes));
    row(
      'metrics library: cold ms / bundle bytes',
      `${show(r.metricsLibraryColdMs, ' ms')} / ${show(r.metricsLibraryBundleBytes)}`,
    );
  }
  if ('vendThroughput' in r) {
    section(
      `Throughput (vends/s, median of ${r.throughputRounds} alternating slices, ${r.throughputSeconds} s per side and level; callers in one process, services in another)`,
    );
    for (const key of Object.keys(r.vendThroughput)) {
      row(
        `${key}: vend / raw (ratio)`,
        `${show(r.vendThroughput[key])} / ${show(r.rawThroughput?.[key])} (${show(r.throughputRatio?.[key])})`,
      );
    }
    row('vendThroughput grows until saturation', '', 'as the raw baseline', mark(pass.vendThroughput));
  }
  if ('auditScaleRatio' in r) {
    section('Audit scale (p50 of a page of 50 per filter; the same 60 matching records at both sizes)');
    row(
      'auditQueryP50Ms 1k / 100k',
      `${show(r.auditQueryP50Ms?.['1k'])} / ${show(r.auditQueryP50Ms?.['100k'])}`,
    );
    const byFilter: Record<string, { small: number; large: number; ratio: number }> =
      r.auditQueryP50ByFilterMs ?? {};
    for (const [name, f] of Object.entries(byFilter)) {
      row(
        `  ${name}: 1k / ${r.auditScaleLargeSize} ms (ratio)`,
        `${show(f.small)} / ${show(f.large)} (${show(f.ratio)})`,
      );
    }
    row(
      'auditScaleRatio (worst filter)',
      show(r.auditScaleRatio),
      `<= ${GOALS.auditScaleRatio}`,
      mark(pass.auditScaleRatio),
    );
  }

  const isSection = (cells: string[]) => cells[1] === '' && cells[2] === '' && cells[3] === '';
  const body = rows.filter((cells) => !isSection(cells));
  const widths = [0, 1, 2, 3].map((i) => Math.max(...body.map((cells) => cells[i]?.length ?? 0)));
  return rows
    .map((cells) =>
      isSection(cells)
        ? cells[0]
        : cells
            .map((cell, i) => cell.padEnd(widths[i] ?? 0))
            .join('  ')
            .trimEnd(),
    )
    .join('\n');
}

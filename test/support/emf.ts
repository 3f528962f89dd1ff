/**
 * Reads the metrics a handler prints: the Embedded Metric Format lines on stdout (Powertools writes
 * them to process.stdout directly; with POWERTOOLS_DEV set, through console.log), each flattened to
 * one metric value with its unit and its dimension set.
 */
import { vi } from 'vitest';

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

export interface MetricValue {
  namespace: string;
  name: string;
  unit: string;
  /** The dimension set, in the order the line gives it. */
  dimensionSet: string[];
  dimensions: Record<string, string>;
  value: number;
}

export interface EmfCapture {
  /** Every line written while capturing (EMF or not), for checks on what they must never carry. */
  lines: string[];
  documents(): EmfDocument[];
  values(name?: string): MetricValue[];
  /** Sum of the values of a metric with exactly these dimension values (every value if none given). */
  total(name: string, dimensions?: Record<string, string>): number;
}

const isEmf = (line: string): EmfDocument | undefined => {
  try {
    const parsed = JSON.parse(line) as Partial<EmfDocument>;
    return parsed._aws?.CloudWatchMetrics ? (parsed as EmfDocument) : undefined;
  } catch {
    return undefined;
  }
};

/** Captures stdout (and console.log) from now until vi.restoreAllMocks(). */
export function captureEmf(): EmfCapture {
  const lines: string[] = [];
  const take = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(line);
  };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    take(chunk);
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => take(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => take(args.join(' ')));
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => take(args.join(' ')));

  const documents = () => lines.map(isEmf).filter((d): d is EmfDocument => d !== undefined);
  const values = (name?: string) =>
    documents().flatMap((doc) =>
      doc._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.filter((m) => name === undefined || m.Name === name).flatMap((m) => {
          const dimensionSet = directive.Dimensions[0] ?? [];
          const raw = doc[m.Name];
          return (Array.isArray(raw) ? raw : [raw]).map((value) => ({
            namespace: directive.Namespace,
            name: m.Name,
            unit: m.Unit,
            dimensionSet,
            dimensions: Object.fromEntries(dimensionSet.map((d) => [d, String(doc[d])])),
            value: value as number,
          }));
        }),
      ),
    );
  const total = (name: string, dimensions: Record<string, string> = {}) =>
    values(name)
      .filter((v) => Object.entries(dimensions).every(([k, d]) => v.dimensions[k] === d))
      .reduce((sum, v) => sum + v.value, 0);
  return { lines, documents, values, total };
}

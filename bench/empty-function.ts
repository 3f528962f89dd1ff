/** The baseline of metrics-only.ts: a function that does nothing, bundled the same way. */
export async function handler(): Promise<{ statusCode: number }> {
  return { statusCode: 200 };
}

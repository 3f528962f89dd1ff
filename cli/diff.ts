/**
 * A unified diff of two texts (what `hallpass setup-aws --dry-run` prints): the longest common
 * subsequence of their lines, shown as hunks with three lines of context, as `diff -u` shows them.
 */

type Edit = { op: ' ' | '-' | '+'; line: string };

function edits(a: string[], b: string[]): Edit[] {
  // lcs[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      (lcs[i] as number[])[j] =
        a[i] === b[j] ? (lcs[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lcs[i + 1]?.[j] ?? 0, lcs[i]?.[j + 1] ?? 0);
  const out: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ op: ' ', line: a[i++] as string });
      j++;
    } else if (j < b.length && (i === a.length || (lcs[i]?.[j + 1] ?? 0) >= (lcs[i + 1]?.[j] ?? 0)))
      out.push({ op: '+', line: b[j++] as string });
    else out.push({ op: '-', line: a[i++] as string });
  }
  return out;
}

const split = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/** `diff -u` of `before` and `after`; empty when they are the same. */
export function unifiedDiff(before: string, after: string, fromName: string, toName: string, context = 3) {
  if (before === after) return '';
  const all = edits(split(before), split(after));
  const changed = all.flatMap((edit, index) => (edit.op === ' ' ? [] : [index]));
  const hunks: Array<[number, number]> = [];
  for (const index of changed) {
    const last = hunks[hunks.length - 1];
    if (last && index - last[1] <= 2 * context + 1) last[1] = index;
    else hunks.push([index, index]);
  }
  const lines = [`--- ${fromName}`, `+++ ${toName}`];
  for (const [first, last] of hunks) {
    const start = Math.max(0, first - context);
    const end = Math.min(all.length - 1, last + context);
    const before = all.slice(0, start);
    const oldStart = before.filter((e) => e.op !== '+').length + 1;
    const newStart = before.filter((e) => e.op !== '-').length + 1;
    const body = all.slice(start, end + 1);
    const oldCount = body.filter((e) => e.op !== '+').length;
    const newCount = body.filter((e) => e.op !== '-').length;
    lines.push(
      `@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@`,
    );
    for (const edit of body) lines.push(`${edit.op}${edit.line}`);
  }
  return `${lines.join('\n')}\n`;
}

// Half-open time intervals [start, end) in epoch milliseconds, and the sweeps over sorted lists
// of them that availability is computed with: each pass is linear in the lists' lengths.

export type Interval = [start: number, end: number];

/** Sorted, with overlapping and touching intervals joined; empty ones dropped. */
export function merge(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter(([s, e]) => s < e).sort((a, b) => a[0] - b[0]);
  const out: Interval[] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** What of `a` no interval of `b` covers (both sorted and merged). */
export function subtract(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const [start, end] of a) {
    let s = start;
    while (j < b.length && b[j]![1] <= s) j++;
    let k = j;
    while (s < end && k < b.length && b[k]![0] < end) {
      const [bs, be] = b[k]!;
      if (bs > s) out.push([s, bs]);
      s = Math.max(s, be);
      k++;
    }
    if (s < end) out.push([s, end]);
  }
  return out;
}

/** What both cover (both sorted and merged). */
export function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i]![0], b[j]![0]);
    const e = Math.min(a[i]![1], b[j]![1]);
    if (s < e) out.push([s, e]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

/** The gaps of a sorted, merged list within [from, to). */
export function complement(a: Interval[], from: number, to: number): Interval[] {
  return subtract([[from, to]], a);
}

/** Whether some interval is at least `length` long. */
export const anyAtLeast = (a: Interval[], length: number) => a.some(([s, e]) => e - s >= length);

/**
 * Answers, for slots asked in increasing order of start, whether one interval of a sorted,
 * merged list covers the slot and whether any overlaps it: a cursor that only moves forward,
 * so a whole pass costs the length of the list plus the number of slots.
 */
export class ForwardCursor {
  private i = 0;
  constructor(private readonly list: Interval[]) {}

  covers(s: number, e: number): boolean {
    while (this.i < this.list.length && this.list[this.i]![1] <= s) this.i++;
    const cur = this.list[this.i];
    return cur !== undefined && cur[0] <= s && e <= cur[1];
  }

  overlaps(s: number, e: number): boolean {
    while (this.i < this.list.length && this.list[this.i]![1] <= s) this.i++;
    const cur = this.list[this.i];
    return cur !== undefined && cur[0] < e;
  }
}

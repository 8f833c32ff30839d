import { readFile } from 'node:fs/promises';
import type postgres from 'postgres';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux build we run on). */
export const TICKS_PER_SECOND = 100;
const SAMPLE_MS = 200;

/** CPU time a process has used so far, in ticks (user + system), or null once it has exited. */
export async function cpuTicks(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime (field 14) and stime (field 15)
  } catch {
    return null;
  }
}

/** Busy and total ticks of the whole machine (every process, ours and others'). */
export async function machineTicks(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

/** What the wait events that writes meet mean, printed under the samples for a reader. */
export const WAIT_EVENT_LEGEND =
  'wait events: CPU = running (no wait); Lock:object = the cluster-wide lock a transaction that sent NOTIFY holds while it commits; ' +
  'IO:WALSync / LWLock:WALWrite = flushing the commit record (or waiting for another backend to); Lock:transactionid / Lock:tuple = a row lock; ' +
  'Client:ClientRead = waiting for the client; idle in transaction = a transaction open while the application works between statements';

interface Activity {
  pid: number;
  backend_type: string;
  state: string | null;
  wait: string | null;
}

/**
 * Samples, while a measurement runs, what would tell its limit: the CPU of the PostgreSQL
 * processes serving the bench database (from /proc, so the server must be on this machine), of the
 * named node processes and of the whole machine, and what the database's busy backends wait on
 * (pg_stat_activity every 200 ms). A lock that serialises writes shows as backends waiting on
 * `Lock:*` or `LWLock:*` with CPU to spare; a CPU limit shows as busy backends on CPU (no wait
 * event) and the machine's cores near full.
 */
export function sampleLoad(sql: postgres.Sql, nodes: Record<string, number | undefined>) {
  const started = performance.now();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const kind = new Map<number, 'backend' | 'auxiliary'>();
  const waits = new Map<string, number>();
  let activeSamples = 0;
  let samples = 0;
  let idleInTransaction = 0;
  const machineAtStart = machineTicks();
  const nodeAtStart = Promise.all(Object.values(nodes).map((pid) => (pid ? cpuTicks(pid) : null)));

  const track = async (pid: number) => {
    const ticks = await cpuTicks(pid);
    if (ticks === null) return;
    if (!first.has(pid)) first.set(pid, ticks);
    last.set(pid, ticks);
  };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const rows = await sql<Activity[]>`
        select pid, backend_type, state, wait_event_type || ':' || wait_event as wait
        from pg_stat_activity
        where (datname = current_database() or datname is null) and pid <> pg_backend_pid()`;
      samples++;
      for (const r of rows) {
        kind.set(r.pid, r.backend_type === 'client backend' ? 'backend' : 'auxiliary');
        if (r.backend_type !== 'client backend') continue;
        if (r.state === 'active') {
          activeSamples++;
          // No wait event on an active backend means it is running on a CPU (or queued for one).
          const key = r.wait ?? 'CPU';
          waits.set(key, (waits.get(key) ?? 0) + 1);
        } else if (r.state?.startsWith('idle in transaction')) idleInTransaction++;
      }
      await Promise.all(rows.map((r) => track(r.pid)));
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
    }
  })();

  return {
    /** Ends the sampling and answers one line a reader can judge the limit from. */
    async stop(): Promise<string> {
      stopped = true;
      await loop;
      const seconds = (performance.now() - started) / 1000;
      const share = (ticks: number) => `${Math.round((ticks / TICKS_PER_SECOND / seconds) * 100)}%`;
      const used = (which: 'backend' | 'auxiliary') =>
        [...first].filter(([pid]) => kind.get(pid) === which).reduce((sum, [pid, t]) => sum + (last.get(pid)! - t), 0);
      const nodeNow = await Promise.all(Object.values(nodes).map((pid) => (pid ? cpuTicks(pid) : null)));
      const nodeStart = await nodeAtStart;
      const nodeShares = Object.keys(nodes).map((name, i) => `${name} ${nodeStart[i] != null && nodeNow[i] != null ? share(nodeNow[i]! - nodeStart[i]!) : '?'}`);
      const m0 = await machineAtStart;
      const m1 = await machineTicks();
      const machine = Math.round(((m1.busy - m0.busy) / (m1.total - m0.total)) * 100);
      const top = [...waits]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([w, n]) => `${w} ${Math.round((n / activeSamples) * 100)}%`)
        .join(', ');
      return (
        `CPU (100% = one core): postgres backends of the bench db ${share(used('backend'))}, postgres auxiliary processes ${share(used('auxiliary'))}, ` +
        `${nodeShares.join(', ')}; machine ${machine}% busy of all cores (other users included). ` +
        `Active backends per sample ${(activeSamples / Math.max(1, samples)).toFixed(1)} (${top || 'none'}); ` +
        `idle in transaction per sample ${(idleInTransaction / Math.max(1, samples)).toFixed(1)}`
      );
    },
  };
}

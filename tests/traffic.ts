import type { Test } from 'tap';
import type { TestApp } from './helpers.js';

export interface Traffic {
  /** Statements sent, in order (the first characters of each). */
  statements: string[];
  /** Times the client waited for the database: statements sent in one turn of the event loop, without awaiting each other, are pipelined and share one. */
  roundTrips: number;
  /** pg_notify statements sent on a connection between its BEGIN and its COMMIT. */
  notifiesInTransactions: number;
}

/**
 * The traffic of the app's pool while one request is served, BEGIN and COMMIT included. The
 * once-a-minute `lastUsedAt` write of the key, the key store's poll for revoked keys and the
 * rate-limit counters' sync are the process's own background work: they may land anywhere and
 * are left out; so are wake-up hints sent after the commit (they are counted apart, to prove
 * none is sent inside a transaction).
 */
export async function trafficOf(t: Test, api: TestApp, request: () => Promise<{ status: number }>, expected: number): Promise<Traffic> {
  const options = (api.database.sql as unknown as { options: { debug?: unknown } }).options;
  const traffic: Traffic = { statements: [], roundTrips: 0, notifiesInTransactions: 0 };
  const inTransaction = new Set<number>();
  let turnOpen = false;
  options.debug = (conn: number, query: string) => {
    if (/^\s*begin/i.test(query)) inTransaction.add(conn);
    if (/^\s*(commit|rollback)/i.test(query)) inTransaction.delete(conn);
    if (/pg_notify/i.test(query)) {
      if (inTransaction.has(conn)) traffic.notifiesInTransactions++;
      return;
    }
    if (/^\s*update api_keys|^\s*select id from api_keys where revoked_at|rate_limit_/i.test(query)) return;
    traffic.statements.push(query.replace(/\s+/g, ' ').trim().slice(0, 80));
    if (!turnOpen) {
      turnOpen = true;
      traffic.roundTrips++;
      setImmediate(() => (turnOpen = false));
    }
  };
  try {
    t.equal((await request()).status, expected);
  } finally {
    options.debug = undefined;
  }
  return traffic;
}


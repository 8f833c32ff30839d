import type postgres from 'postgres';
import type { Measured, MeasureOptions } from './harness.js';

export interface BenchContext {
  /** The API server under test. */
  api: string;
  /** The bare baseline server (one primary-key query per request). */
  bare: string;
  key: string;
  headers: Record<string, string>;
  sql: postgres.Sql;
  databaseUrl: string;
  /** The environment the API server was started with, for scenarios that start more processes. */
  serverEnv: Record<string, string>;
  /** Process ids of the API server and the bare server, for CPU samples (load-sampler.ts). */
  pids: { api: number | undefined; bare: number | undefined };
  organizationId: string;
  /** Requests/s of the bare route, measured at the start of the same run. */
  baseline: Measured;
  /**
   * Measures the bare route again, then `opts` right after it, and answers the row with the ratio
   * of their throughputs: both under the same conditions of the machine.
   */
  againstBare(name: string, opts: MeasureOptions, target: string): Promise<Row>;
  post(path: string, body: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Row = Measured & { ratio?: number; target?: string; note?: string };
export type Scenario = (ctx: BenchContext) => Promise<Row[]>;

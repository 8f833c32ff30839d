import { auditEvents } from '../../db/schema/index.js';
import type { Db, Tx } from './database.js';
import { appendEvent, type AppendedEvent } from '../events/outbox.js';

/** Who is changing what: every change is attributed to an organisation, an API key and a request. */
export interface ChangeContext {
  organizationId: string;
  actorKeyId: string | null;
  requestId: string | null;
}

type Json = Record<string, unknown>;
const untracked = new Set(['createdAt', 'updatedAt', 'organizationId']);

/** Changed fields only, each as `{ before, after }` (a create has no before, a delete no after). */
export function diffFields(before: Json | null, after: Json | null): Record<string, { before: unknown; after: unknown }> {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const k of keys) {
    if (untracked.has(k)) continue;
    const b = normalise(before?.[k]);
    const a = normalise(after?.[k]);
    if (JSON.stringify(b) !== JSON.stringify(a)) out[k] = { before: b, after: a };
  }
  return out;
}

function normalise(v: unknown): unknown {
  if (v === undefined) return null;
  return v instanceof Date ? v.toISOString() : v;
}

/**
 * The one place a change is recorded. Modules call `audit` for every row they create, change or
 * delete and `event` for changes in the event catalogue; both write inside the caller's
 * transaction, so a change, its audit record and its event commit or roll back together.
 */
export class ChangeRecorder {
  readonly events: AppendedEvent[] = [];
  constructor(
    readonly tx: Tx,
    readonly ctx: ChangeContext,
  ) {}

  get organizationId() {
    return this.ctx.organizationId;
  }

  async audit(entry: { action: string; entityType: string; entityId: string; before?: Json | null; after?: Json | null }) {
    await this.tx.insert(auditEvents).values({
      organizationId: this.ctx.organizationId,
      actorKeyId: this.ctx.actorKeyId,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId,
      changes: diffFields(entry.before ?? null, entry.after ?? null),
      requestId: this.ctx.requestId,
    });
  }

  async event(type: string, data: Json): Promise<AppendedEvent> {
    const appended = await appendEvent(this.tx, this.ctx.organizationId, type, data);
    this.events.push(appended);
    return appended;
  }
}

export async function recordChanges<T>(db: Db, ctx: ChangeContext, fn: (rec: ChangeRecorder) => Promise<T>): Promise<T> {
  return db.transaction((tx) => fn(new ChangeRecorder(tx, ctx)));
}

import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from './database.js';
import { wakeUpsOf } from './wake-ups.js';
import { appendEventsCtes, eventRowsJson, eventToAppend, EVENTS_CHANNEL, subscribersVersion, type AppendedEvent, type EventToAppend } from '../events/outbox.js';
import { builtSql, perShape } from './built-once.js';

/**
 * Who is changing what: every change is attributed to an organisation, an API key, the person the
 * key acted as (a person-bound key's, or the one it acted on behalf of) and a request. The service
 * itself (a worker's pass) has neither key nor person.
 */
export interface ChangeContext {
  organizationId: string;
  actorKeyId: string | null;
  actorPersonId: string | null;
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

const recordStatementFor = perShape<ReturnType<typeof builtSql>>();

/**
 * The statement that writes a transaction's events (with what the event log's subscribers do
 * with them) and audit rows, built once for each of the three shapes it takes: its values are two
 * JSON parameters, so no statement is built per write.
 */
function recordStatement(events: boolean, audits: boolean) {
  return recordStatementFor(`${events}:${audits}:${subscribersVersion()}`, () => {
    const ctes: SQL[] = [];
    if (events) ctes.push(appendEventsCtes(sql`${sql.placeholder('events')}`));
    if (audits) {
      ctes.push(sql`recorded_audits as (
        insert into audit_events (organization_id, actor_key_id, actor_person_id, action, entity_type, entity_id, changes, request_id)
        select organization_id, actor_key_id, actor_person_id, action, entity_type, entity_id, changes, request_id
        from jsonb_to_recordset(${sql.placeholder('audits')}::jsonb)
          as a(organization_id uuid, actor_key_id uuid, actor_person_id uuid, action text, entity_type text, entity_id uuid, changes jsonb, request_id text))`);
    }
    return builtSql(() => sql`with ${sql.join(ctes, sql`, `)} select 1`);
  });
}

/**
 * What one transaction's recorders have recorded, written by `write` in one statement at the end
 * of the transaction (audit rows, events and whatever the event log's subscribers do with them),
 * and the wake-ups that `committed` sends once it has committed. A transaction that rolls back
 * never reaches `write`'s commit, so nothing of it is left and nobody is woken.
 */
export class ChangeSet {
  private audits: string[] = [];
  private events: EventToAppend[] = [];
  private hints = new Map<string, [channel: string, payload: string]>();

  recorder(tx: Tx, ctx: ChangeContext): ChangeRecorder {
    return new ChangeRecorder(tx, ctx, this);
  }

  addAudit(row: Json) {
    this.audits.push(JSON.stringify(row));
  }

  addEvent(row: EventToAppend) {
    this.events.push(row);
    this.wake(EVENTS_CHANNEL, row.organizationId);
  }

  wake(channel: string, payload: string) {
    this.hints.set(`${channel}\n${payload}`, [channel, payload]);
  }

  /** Writes what was recorded since the last write, in one statement (none when nothing was). */
  async write(tx: Tx): Promise<void> {
    if (this.events.length === 0 && this.audits.length === 0) return;
    const values = { events: eventRowsJson(this.events), audits: `[${this.audits.join(',')}]` };
    const statement = recordStatement(this.events.length > 0, this.audits.length > 0);
    this.events = [];
    this.audits = [];
    await statement(tx, values);
  }

  /** Sends the wake-ups of what committed; call it only after the transaction has. */
  committed(db: Db) {
    const wakeUps = wakeUpsOf(db);
    for (const [channel, payload] of this.hints.values()) wakeUps.hint(channel, payload);
    this.hints.clear();
  }
}

/**
 * The one place a change is recorded. Modules call `audit` for every row they create, change or
 * delete and `event` for changes in the event catalogue. Both are kept until the end of the
 * caller's transaction and written there in one statement (ChangeSet), so a change, its audit
 * records and its events commit or roll back together and cost one round trip however many there
 * are. `wake` asks for a hint on a channel once the transaction has committed.
 */
export class ChangeRecorder {
  readonly events: AppendedEvent[] = [];
  constructor(
    readonly tx: Tx,
    readonly ctx: ChangeContext,
    private changes: ChangeSet,
  ) {}

  get organizationId() {
    return this.ctx.organizationId;
  }

  async audit(entry: { action: string; entityType: string; entityId: string; before?: Json | null; after?: Json | null }): Promise<void> {
    this.changes.addAudit({
      organization_id: this.ctx.organizationId,
      actor_key_id: this.ctx.actorKeyId,
      actor_person_id: this.ctx.actorPersonId,
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId,
      changes: diffFields(entry.before ?? null, entry.after ?? null),
      request_id: this.ctx.requestId,
    });
  }

  /** Records an event; its id and time are final at once (another row may refer to them). */
  async event(type: string, data: Json): Promise<AppendedEvent> {
    const { event, row } = eventToAppend(this.ctx.organizationId, type, data, { keyId: this.ctx.actorKeyId, personId: this.ctx.actorPersonId });
    this.changes.addEvent(row);
    this.events.push(event);
    return event;
  }

  wake(channel: string, payload: string) {
    this.changes.wake(channel, payload);
  }
}

/**
 * Runs `fn` in one transaction of `db` with a recorder per change context it asks for (a worker's
 * pass may change several organisations at once): what they recorded is written before the
 * commit, and their wake-ups are sent after it.
 */
export async function recordInTransaction<T>(db: Db, fn: (tx: Tx, recorderFor: (ctx: ChangeContext) => ChangeRecorder) => Promise<T>): Promise<T> {
  const changes = new ChangeSet();
  let last: Promise<unknown> = Promise.resolve();
  const result = await db.transaction(async (tx) => {
    const out = await fn(tx, (ctx) => changes.recorder(tx, ctx));
    last = sentWithCommit(changes.write(tx));
    return out;
  });
  await last;
  changes.committed(db);
  return result;
}

/**
 * A transaction's last statements, sent without waiting for their answer: the COMMIT that
 * follows when the transaction's function returns goes out behind them on the same connection,
 * so they share its round trip. Await the promise once the transaction has resolved: it rejects
 * if they failed, and then nothing of the transaction is left, since PostgreSQL answers the
 * COMMIT of a transaction in which a statement failed by rolling it back.
 */
export function sentWithCommit(statements: Promise<unknown>): Promise<unknown> {
  statements.catch(() => {}); // awaited by the caller after the commit
  return statements;
}

export async function recordChanges<T>(db: Db, ctx: ChangeContext, fn: (rec: ChangeRecorder) => Promise<T>): Promise<T> {
  return recordInTransaction(db, (_tx, recorderFor) => fn(recorderFor(ctx)));
}

import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../platform/database.js';

export const EVENTS_CHANNEL = 'liaison_events';

/** Who made the change an event records (the envelope's `actor`): both null for the service itself. */
export interface EventActor {
  keyId: string | null;
  personId: string | null;
}

export const SERVICE_ACTOR: EventActor = { keyId: null, personId: null };

export interface AppendedEvent {
  id: string;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
  actor: EventActor;
}

/**
 * An event on its way into the log. Its id and time are chosen here rather than by the database so
 * that whoever records it can use them before the row is written (see ChangeRecorder); its data is
 * rendered to JSON when it is recorded, as an immediate insert would have.
 */
export interface EventToAppend {
  id: string;
  organizationId: string;
  type: string;
  occurredAt: Date;
  dataJson: string;
  actor: EventActor;
}

export function eventToAppend(
  organizationId: string,
  type: string,
  data: Record<string, unknown>,
  actor: EventActor = SERVICE_ACTOR,
): { event: AppendedEvent; row: EventToAppend } {
  const event = { id: randomUUID(), type, occurredAt: new Date(), data, actor };
  return { event, row: { id: event.id, organizationId, type, occurredAt: event.occurredAt, dataJson: JSON.stringify(data), actor } };
}

/**
 * What must happen in an event's transaction besides appending it (the webhook fan-out): a
 * data-modifying statement over the appended rows, named by `appended` (columns id,
 * organization_id, type, occurred_at, data, confidential_meeting_id: the confidential meeting,
 * of visibility `participants`, the event is about, or null; SPEC §8). It runs inside the statement that appends the events,
 * so it commits or rolls back with them and costs no round trip of its own. Features register
 * theirs when the process is composed (app.ts, worker.ts): the event log knows none of them.
 */
export type EventSubscriber = (appended: SQL) => SQL;

const subscribers: EventSubscriber[] = [];

export function registerEventSubscriber(subscriber: EventSubscriber) {
  if (!subscribers.includes(subscriber)) subscribers.push(subscriber);
}

const UUID_TEXT = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * The meetings an event row `e` being appended names: its `meeting.id`, then every `meetingId`
 * anywhere in its data (agenda items, materials, decisions, issues, minutes, reminders…), in that
 * order. (db/migrations/0026 names them the same way for the events before it.)
 */
const namedMeetings = sql`select c::uuid from jsonb_array_elements_text(jsonb_build_array(e.data->'meeting'->'id') || jsonb_path_query_array(e.data, 'strict $.**.meetingId')) c
  where c ~ ${sql.raw(`'${UUID_TEXT}'`)}`;

/** The meeting the event row `e` is about, confidential or not: the first it names, or null. */
const meetingOf = sql`(${namedMeetings} limit 1)`;

/**
 * The confidential meeting (visibility `participants`, SPEC §8) an event row `e` being appended is
 * about, or null: one of the meetings it names. A meeting the event names that is already gone
 * counts when the payload itself says it was confidential.
 */
const confidentialMeetingOf = sql`coalesce(
  (select m.id from meetings m
   where m.organization_id = e.organization_id and m.visibility = 'participants' and m.id in (${namedMeetings})
   limit 1),
  case when e.data->'meeting'->>'visibility' = 'participants' and e.data->'meeting'->>'id' ~ ${sql.raw(`'${UUID_TEXT}'`)}
    then (e.data->'meeting'->>'id')::uuid end)`;

/** The rows `appendEventsCtes` appends, as the one JSON parameter it takes, in the order given. */
export function eventRowsJson(events: EventToAppend[]): string {
  const rows = events.map(
    (e, i) =>
      `{"ord":${i},"id":${JSON.stringify(e.id)},"organization_id":${JSON.stringify(e.organizationId)},"type":${JSON.stringify(e.type)},` +
      `"occurred_at":${JSON.stringify(e.occurredAt.toISOString())},"actor_key_id":${JSON.stringify(e.actor.keyId)},` +
      `"actor_person_id":${JSON.stringify(e.actor.personId)},"data":${e.dataJson}}`,
  );
  return `[${rows.join(',')}]`;
}

/** Changes whenever a subscriber is registered: a statement built with the subscribers of before is stale. */
export const subscribersVersion = () => subscribers.length;

/**
 * The common table expressions (for a top-level WITH, where data-modifying ones must sit) that
 * append the events of `rows` (eventRowsJson, or a placeholder for it) in their order, with every
 * subscriber's statement over them. Rows are inserted in that order, so their `seq` follows it:
 * within one transaction (one txid) that is the log's order (see db/schema/platform.ts).
 */
export function appendEventsCtes(rows: SQL | string): SQL {
  const ctes = [
    sql`appended_events as (
      insert into events (id, organization_id, type, occurred_at, data, actor_key_id, actor_person_id, confidential_meeting_id, meeting_id)
      select e.id, e.organization_id, e.type, e.occurred_at, e.data, e.actor_key_id, e.actor_person_id, ${confidentialMeetingOf}, ${meetingOf}
      from jsonb_to_recordset(${rows}::jsonb)
        as e(ord int, id uuid, organization_id uuid, type text, occurred_at timestamptz, data jsonb, actor_key_id uuid, actor_person_id uuid)
      order by ord
      returning id, organization_id, type, occurred_at, data, confidential_meeting_id)`,
  ];
  subscribers.forEach((subscriber, i) => ctes.push(sql`${sql.raw(`event_subscriber_${i}`)} as (${subscriber(sql.raw('appended_events'))})`));
  return sql.join(ctes, sql`, `);
}

/**
 * Appends one event now, with what its subscribers do, inside a transaction the caller owns (tests
 * and tools). It sends no wake-up: the caller's commit comes later, so listeners find the event
 * by their poll. Changes are recorded through platform/changes.ts, which also wakes them.
 */
export async function appendEvent(tx: Tx, organizationId: string, type: string, data: Record<string, unknown>, actor?: EventActor): Promise<AppendedEvent> {
  const { event, row } = eventToAppend(organizationId, type, data, actor);
  await tx.execute(sql`with ${appendEventsCtes(eventRowsJson([row]))} select 1`);
  return event;
}

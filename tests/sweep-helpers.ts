import type { Test } from 'tap';
import { uniq, type Answer, type Caller, type TestApp, BOOKKEEPING_TABLES } from './helpers.js';
import { answerTo, postItip } from './itip-helpers.js';

// What the sweeps over every operation of the live OpenAPI document share (tests/tenancy-sweep.test.ts,
// tests/access-sweep.test.ts): the operations, one fixture of every resource a path can name,
// generated bodies and snapshots of the fixtures to compare before and after a refused request.

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Schema = Record<string, any>;
export interface Operation {
  method: string;
  path: string;
  params: string[];
  jsonBody: Schema | null;
}

/** Path parameters that are not ids (numbers, or names such as a busy-block source, within a parent that is itself swept). */
export const NUMERIC_PARAMS = new Set(['revision', 'n', 'version', 'source']);

export function operations(api: TestApp): { ops: Operation[]; doc: Schema } {
  const doc = api.app.swagger() as Schema;
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries<Schema>(item)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      ops.push({ method: method.toUpperCase(), path, params, jsonBody: op.requestBody?.content?.['application/json']?.schema ?? null });
    }
  }
  return { ops, doc };
}

export function resolver(doc: Schema) {
  const resolve = (s: Schema | undefined): Schema | undefined => {
    let seen = 0;
    while (s && s.$ref && seen++ < 20) s = doc.components.schemas[String(s.$ref).split('/').pop()!];
    if (!s) return s;
    for (const k of ['anyOf', 'oneOf']) {
      if (Array.isArray(s[k])) {
        const pick = s[k].map(resolve).find((x: Schema | undefined) => x && x.type !== 'null');
        return pick ?? s;
      }
    }
    return s;
  };
  return resolve;
}

export interface Ids {
  departmentId: string;
  personId: string;
  initiativeId: string;
  goalId: string;
  meetingId: string;
  itemId: string;
  materialId: string;
  decisionId: string;
  issueId: string;
  webhookId: string;
  keyId: string;
  eventId: string;
  deliveryId: string;
  sponsorId: string;
  startedMeetingId: string;
  proposalId: string;
  secrets: string[];
}

/**
 * One of every resource a path can name, created through the API by `caller`. With `confidential`
 * (a word), both meetings are of visibility `participants` and the word is in the title of each
 * of them and of everything in them.
 */
export async function fixtures(t: Test, caller: Caller, label: string, confidential?: string): Promise<Ids> {
  const secret = (title: string) => (confidential ? `${confidential} ${title}` : title);
  const visibility = confidential ? { visibility: 'participants' } : {};
  const ok = (res: Answer, what: string) => {
    if (res.status >= 300) t.fail(`${label}: creating ${what} answered ${res.status} ${res.text.slice(0, 300)}`);
    return res.body;
  };
  const department = ok(await caller.post('/v1/departments', { name: `${label} dept`, code: uniq('D').replace(/[^A-Za-z0-9]/g, '').slice(0, 30) }), 'department');
  const person = ok(await caller.post('/v1/people', { name: `${label} person`, email: `${uniq('p')}@example.com`, departmentId: department.id }), 'person');
  const sponsor = ok(await caller.post('/v1/people', { name: `${label} sponsor`, email: `${uniq('s')}@example.com` }), 'sponsor');
  const initiative = ok(await caller.post('/v1/initiatives', { title: `${label} initiative`, sponsorId: sponsor.id, ownerId: person.id, departmentIds: [department.id] }), 'initiative');
  const goal = ok(await caller.post(`/v1/initiatives/${initiative.id}/goals`, { title: 'Goal', metric: 'm', baseline: 0, target: 10 }), 'goal');
  const meeting = ok(
    await caller.post('/v1/meetings', {
      title: secret(`${label} meeting`),
      ...visibility,
      startsAt: '2027-03-01T09:00:00Z',
      endsAt: '2027-03-01T10:00:00Z',
      timeZone: 'Europe/Paris',
      initiativeId: initiative.id,
      organizerId: person.id,
      participants: [{ personId: person.id, role: 'chair' }],
    }),
    'meeting',
  );
  // Feedback is taken only once a meeting is under way: a second meeting, started.
  const started = ok(await caller.post('/v1/meetings', { title: secret(`${label} started`), ...visibility, startsAt: '2027-03-02T09:00:00Z', endsAt: '2027-03-02T10:00:00Z', timeZone: 'Europe/Paris', participants: [{ personId: person.id, role: 'chair' }] }), 'started meeting');
  ok(await caller.post(`/v1/meetings/${started.id}/invitations`), 'invitations');
  ok(await caller.post(`/v1/meetings/${started.id}/start`), 'start');
  const invite = await caller.get(`/v1/meetings/${meeting.id}/calendar.ics`);
  const counter = answerTo(invite.text, { method: 'COUNTER', address: person.email, start: '2027-03-01T11:00:00Z', end: '2027-03-01T12:00:00Z' });
  const proposal = ok(await postItip(caller, counter), 'time proposal').proposal;
  const item = ok(await caller.post(`/v1/meetings/${meeting.id}/agenda-items`, { title: secret('Item'), ownerId: person.id }), 'agenda item');
  const material = ok(await caller.post(`/v1/meetings/${meeting.id}/materials`, { title: secret('Pre-read'), url: 'https://example.com/pre-read.pdf', agendaItemId: item.id }), 'material');
  const decision = ok(await caller.post(`/v1/meetings/${meeting.id}/decisions`, { title: secret('Decision'), statement: 'We agree', agendaItemId: item.id, supporters: [person.id] }), 'decision');
  const issue = ok(await caller.post('/v1/issues', { title: secret('Issue'), ownerId: person.id, departmentId: department.id, meetingId: meeting.id, initiativeId: initiative.id }), 'issue');
  const webhook = ok(await caller.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', eventTypes: ['*'] }), 'webhook');
  const key = ok(await caller.post('/v1/api-keys', { name: `${label} spare`, scopes: ['read'] }), 'api key');
  ok(await caller.post(`/v1/webhooks/${webhook.id}/test`), 'webhook test');
  const events = ok(await caller.get('/v1/events?limit=1'), 'events');
  const deliveries = ok(await caller.get(`/v1/webhooks/${webhook.id}/deliveries`), 'deliveries');
  t.ok(events.data?.[0]?.id, `${label} has an event`);
  t.ok(deliveries.data?.[0]?.id, `${label} has a delivery`);
  return {
    departmentId: department.id,
    personId: person.id,
    initiativeId: initiative.id,
    goalId: goal.id,
    meetingId: meeting.id,
    itemId: item.id,
    materialId: material.id,
    decisionId: decision.id,
    issueId: issue.id,
    webhookId: webhook.id,
    keyId: key.id,
    eventId: events.data[0].id,
    deliveryId: deliveries.data[0].id,
    sponsorId: sponsor.id,
    startedMeetingId: started.id,
    proposalId: proposal.id,
    secrets: [webhook.secret, key.secret].filter(Boolean),
  };
}

/** The fixture kind a path parameter or body id field names. */
export const KIND: Record<string, keyof Ids> = {
  departmentId: 'departmentId',
  departmentIds: 'departmentId',
  parentId: 'departmentId',
  personId: 'personId',
  leadId: 'personId',
  sponsorId: 'personId',
  ownerId: 'personId',
  organizerId: 'personId',
  supporters: 'personId',
  required: 'personId',
  optional: 'personId',
  initiativeId: 'initiativeId',
  goalId: 'goalId',
  meetingId: 'meetingId',
  itemId: 'itemId',
  itemIds: 'itemId',
  agendaItemId: 'itemId',
  materialId: 'materialId',
  decisionId: 'decisionId',
  supersedesId: 'decisionId',
  issueId: 'issueId',
  webhookId: 'webhookId',
  keyId: 'keyId',
  eventId: 'eventId',
  deliveryId: 'deliveryId',
  proposalId: 'proposalId',
};

export const fill = (path: string, ids: Partial<Record<string, string>>) =>
  path.replace(/\{(\w+)\}/g, (_m, name: string) => (NUMERIC_PARAMS.has(name) ? '1' : ids[name]!));

/** Values for well-known field names, so that generated bodies pass validation. */
export const NAMED: Record<string, () => unknown> = {
  code: () => uniq('C').replace(/[^A-Za-z0-9]/g, '').slice(0, 30),
  email: () => `${uniq('e')}@example.com`,
  url: () => 'http://127.0.0.1:9/hook',
  timeZone: () => 'Europe/Paris',
  startsAt: () => '2027-04-01T09:00:00Z',
  endsAt: () => '2027-04-01T10:00:00Z',
  since: () => '2026-01-01T00:00:00Z',
  scopes: () => ['read'],
  eventTypes: () => ['*'],
  response: () => 'accepted',
  rating: () => 3,
};

/** A minimal valid value of `schema` (required properties only), ids taken from `own`. */
export function generator(resolve: (s: Schema | undefined) => Schema | undefined, own: Ids) {
  const make = (raw: Schema | undefined, name: string): unknown => {
    const s = resolve(raw) ?? {};
    if (name in NAMED) return NAMED[name]!();
    if (s.const !== undefined) return s.const;
    if (Array.isArray(s.enum)) return s.enum[0];
    const type = Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type;
    if (type === 'object' || s.properties) {
      const out: Record<string, unknown> = {};
      for (const req of s.required ?? []) out[req] = make(s.properties?.[req], req);
      return out;
    }
    if (type === 'array') {
      const n = s.minItems ?? 0;
      return Array.from({ length: n }, () => make(s.items, name));
    }
    if (type === 'string') {
      if (s.format === 'uuid') return name === 'sponsorId' ? own.sponsorId : own[KIND[name] ?? 'personId'];
      if (s.format === 'date-time') return '2027-04-01T09:00:00Z';
      if (s.format === 'date') return '2027-04-01';
      if (s.format === 'uri') return 'https://example.com/x';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    }
    if (type === 'integer' || type === 'number') return Math.max(1, s.minimum ?? 1);
    if (type === 'boolean') return true;
    return null;
  };
  return make;
}

export interface IdField {
  /** e.g. ['participants', '[]', 'personId'] */
  path: string[];
  name: string;
  isArray: boolean;
}

/** Every property of a body schema that holds ids (uuid strings or arrays of them). */
export function idFields(resolve: (s: Schema | undefined) => Schema | undefined, schema: Schema): IdField[] {
  const found: IdField[] = [];
  const walk = (raw: Schema | undefined, path: string[], depth: number) => {
    const s = resolve(raw);
    if (!s || depth > 5) return;
    for (const [name, prop] of Object.entries<Schema>(s.properties ?? {})) {
      const p = resolve(prop) ?? {};
      const items = resolve(p.items);
      const isUuid = p.format === 'uuid' || /Id$/.test(name);
      const isUuidArray = p.type === 'array' && (items?.format === 'uuid' || /Ids$/.test(name));
      if (isUuid || isUuidArray) found.push({ path: [...path, name], name, isArray: isUuidArray });
      else if (p.type === 'array' && items?.properties) walk(items, [...path, name, '[]'], depth + 1);
      else if (p.properties) walk(p, [...path, name], depth + 1);
    }
  };
  walk(schema, [], 0);
  return found;
}

export async function rowCounts(api: TestApp): Promise<Record<string, number>> {
  const tables = await api.database.sql<{ tablename: string }[]>`
    select tablename from pg_tables where schemaname = 'public' and tablename <> all(${BOOKKEEPING_TABLES}) order by tablename`;
  const query = tables.map(({ tablename }) => `select '${tablename}' as t, count(*)::int as n from "${tablename}"`).join(' union all ');
  const rows = await api.database.sql.unsafe(query);
  return Object.fromEntries(rows.map((r) => [r.t as string, r.n as number]));
}

/** GETs, by their owner, of every fixture: compared before and after a refused request. */
export async function snapshot(caller: Caller, ids: Ids): Promise<Record<string, unknown>> {
  const urls = [
    `/v1/departments/${ids.departmentId}`,
    `/v1/people/${ids.personId}`,
    `/v1/initiatives/${ids.initiativeId}`,
    `/v1/initiatives/${ids.initiativeId}/goals/${ids.goalId}`,
    `/v1/initiatives/${ids.initiativeId}/members/${ids.personId}`,
    `/v1/meetings/${ids.meetingId}`,
    `/v1/meetings/${ids.meetingId}/agenda-items/${ids.itemId}`,
    `/v1/meetings/${ids.meetingId}/participants/${ids.personId}`,
    `/v1/meetings/${ids.meetingId}/minutes`,
    `/v1/materials/${ids.materialId}`,
    `/v1/decisions/${ids.decisionId}`,
    `/v1/issues/${ids.issueId}`,
    `/v1/webhooks/${ids.webhookId}`,
    `/v1/events/${ids.eventId}`,
    `/v1/webhooks/${ids.webhookId}/deliveries/${ids.deliveryId}`,
  ];
  const out: Record<string, unknown> = {};
  for (const url of urls) {
    const res = await caller.get(url);
    out[url] = { status: res.status, body: res.body };
  }
  const keys = await caller.get('/v1/api-keys?limit=200');
  out.key = { status: keys.status, body: (keys.body?.data ?? []).find((k: { id: string }) => k.id === ids.keyId) ?? null };
  return out;
}

/** Sends through `caller` and records the answer for the no-secret check. */
export function recorder(seen: { op: string; text: string }[]) {
  return async (caller: Caller, method: string, url: string, body: unknown, op: string) => {
    const res = await caller.request(method, url, body);
    seen.push({ op, text: res.text ?? '' });
    return res;
  };
}


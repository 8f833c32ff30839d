import type { Test } from 'tap';
import { pino } from 'pino';
import { eventCatalogue } from '../src/events/catalogue.js';
import { ManualClock } from '../src/platform/clock.js';
import { createScheduler, type TickReport } from '../src/platform/scheduler.js';
import type { FiringRule } from '../src/platform/scheduler-types.js';
import { followThroughRules } from '../src/follow-through/rules.js';
import { uniq, type Caller, type TestApp } from './helpers.js';

// What the follow-through tests share: people, invited meetings, a scheduler on a ManualClock
// over the real rules, and the payload check against the catalogue.

export async function person(api: Caller, name: string, extra: Record<string, unknown> = {}) {
  const res = await api.post('/v1/people', { name, email: `${uniq(name.toLowerCase().replace(/\W/g, ''))}@example.com`, ...extra });
  if (res.status !== 201) throw new Error(`person: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string; email: string; timeZone: string | null; departmentId: string | null };
}

export async function invitedMeeting(api: Caller, body: Record<string, unknown>) {
  const res = await api.post('/v1/meetings', { title: uniq('Planning'), timeZone: 'Europe/Berlin', location: 'Room 4.12', onlineUrl: 'https://meet.example.com/q3', ...body });
  if (res.status !== 201) throw new Error(`meeting: ${res.status} ${res.text}`);
  const sent = await api.post(`/v1/meetings/${res.body.id}/invitations`);
  if (sent.status !== 200) throw new Error(`invitations: ${sent.status} ${sent.text}`);
  return sent.body as { id: string; title: string; startsAt: string; endsAt: string; version: number; [k: string]: unknown };
}

export async function answer(api: Caller, meetingId: string, personId: string, response: string) {
  const res = await api.put(`/v1/meetings/${meetingId}/participants/${personId}/response`, { response });
  if (res.status !== 200) throw new Error(`response: ${res.status} ${res.text}`);
}

export const ruleNamed = (name: string): FiringRule => {
  const rule = followThroughRules.find((r) => r.rule === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
};

/** A scheduler over the named rules (all of them by default) on a clock the test moves. */
export function schedulerAt(api: TestApp, start: string, rules: FiringRule[] = followThroughRules) {
  const clock = new ManualClock(start);
  const scheduler = createScheduler({ db: api.database.db, log: pino({ enabled: false }), clock, rules, tasks: [] });
  return {
    clock,
    async tickAt(at: string): Promise<TickReport> {
      clock.set(at);
      const report = await scheduler.tick();
      for (const [name, r] of Object.entries(report.rules)) if (r.error) throw new Error(`rule ${name} failed: ${r.error}`);
      return report;
    },
  };
}

/** The organisation's recorded firings of a rule (or every rule), oldest moment first. */
export async function firings(api: TestApp, organizationId: string, rule?: string) {
  const rows = (await api.database.sql`
    select rule, subject_id as "subjectId", moment, status, reason, event_id as "eventId", recipients, late_by_seconds as "lateBy"
    from scheduled_firings where organization_id = ${organizationId} ${rule ? api.database.sql`and rule = ${rule}` : api.database.sql``}
    order by moment, rule`) as unknown as { rule: string; subjectId: string; moment: Date | string; status: string; reason: string | null; eventId: string | null; recipients: { personId: string; reason: string }[]; lateBy: number }[];
  return rows.map((r) => ({ ...r, moment: new Date(r.moment) }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function eventById(api: Caller, id: string): Promise<{ id: string; type: string; data: any }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await api.get(`/v1/events/${id}`);
    if (res.status === 200 || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The payload validates against its catalogue schema and carries nothing it does not declare. */
export function assertCatalogued(t: Test, type: string, data: unknown) {
  const def = eventCatalogue.find((d) => d.type === type);
  t.ok(def, `${type} is in the catalogue`);
  const parsed = def!.data.safeParse(data);
  t.ok(parsed.success, `${type} validates ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
  if (parsed.success) t.same(parsed.data, data, `${type} carries only what its schema declares`);
}

export const ids = (recipients: { personId: string }[]) => recipients.map((r) => r.personId).sort();

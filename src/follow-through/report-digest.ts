import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import type { DueFiring, FiringOutcome, FiringRule, PlannedFiring } from '../platform/scheduler-types.js';
import { initiativeReport } from '../initiatives/report.js';
import { reportMarkdown } from '../initiatives/report-markdown.js';
import { loadEffectivePolicies, resolvePolicy } from './policy.js';
import type { PolicySettings } from './policy-schemas.js';
import type { Recipient } from './recipients.js';
import { digestMoments, latestDigestMoment, previousDigestMoment } from './report-digest-moments.js';
import type { ReportReadyData } from './report-digest-events.js';
import type { z } from 'zod';

const RULE = 'reportDigest';
const DAY_MS = 86_400_000;
/** A digest more than this late is not sent: the next one is near and this one is stale. */
const MAX_LATE_SECONDS = 86_400;
/** At most this many moments of one initiative in a GET /v1/reminders window. */
const PLANNED_PER_INITIATIVE = 500;

type Person = { id: string; name: string; email: string; timeZone: string | null } | null;
type InitiativeLeads = { organizationId: string; id: string; status: string; zone: string | null; sponsor: Person; owner: Person };

const person = (alias: string) => sql.raw(`case when ${alias}.id is null then null else json_build_object('id', ${alias}.id, 'name', ${alias}.name, 'email', ${alias}.email, 'timeZone', ${alias}.time_zone) end`);

/** Initiatives with their sponsor and owner, in one query. */
async function initiativesWithLeads(db: DbOrTx, where: ReturnType<typeof sql>): Promise<InitiativeLeads[]> {
  return (await db.execute(sql`
    select i.organization_id as "organizationId", i.id, i.status, o.default_time_zone as zone, ${person('s')} as sponsor, ${person('w')} as owner
    from initiatives i
    join organizations o on o.id = i.organization_id
    left join people s on s.organization_id = i.organization_id and s.id = i.sponsor_id
    left join people w on w.organization_id = i.organization_id and w.id = i.owner_id
    where ${where}`)) as unknown as InitiativeLeads[];
}

/** The sponsor, then the owner (once when they are the same person); zone: theirs, else the organisation's, else the digest's. */
function recipientsOf(i: InitiativeLeads, digestZone: string): Recipient[] {
  const out: Recipient[] = [];
  for (const [p, reason] of [[i.sponsor, 'sponsor'], [i.owner, 'owner']] as const) {
    if (!p || out.some((r) => r.personId === p.id)) continue;
    out.push({ personId: p.id, name: p.name, email: p.email, timeZone: p.timeZone ?? i.zone ?? digestZone, reason });
  }
  return out;
}

/** The latest moment in (now − 1 day, now] of each (rrule, zone), computed once per call. */
function latestMomentFinder(now: Date) {
  const since = new Date(now.getTime() - DAY_MS + 1);
  const memo = new Map<string, Date | null>();
  return (rrule: string, timeZone: string) => {
    const key = `${timeZone}\n${rrule}`;
    if (!memo.has(key)) memo.set(key, latestDigestMoment(rrule, timeZone, since, now));
    return memo.get(key)!;
  };
}

/**
 * `initiative.report.ready` to each active initiative's sponsor and owner at the moments of its
 * effective `reportDigest` RRULE. Never a backlog: only the latest moment is due, and only while
 * it is less than a day old (a worker down for a week sends one digest, or none).
 */
export const reportDigestRule: FiringRule = {
  rule: RULE,
  subjectType: 'initiative',

  // One query: the active initiatives (few) with both policy levels, their zone and the latest
  // digest moment already fired in the last day (a primary-key lookup each).
  async due(tx, now, limit) {
    const since = new Date(now.getTime() - DAY_MS);
    const rows = (await tx.execute(sql`
      select i.organization_id as "organizationId", i.id, op.settings as "orgSettings", ip.settings as "ownSettings", o.default_time_zone as zone,
        (select max(f.moment) from scheduled_firings f
          where f.organization_id = i.organization_id and f.rule = ${RULE} and f.subject_id = i.id and f.moment > ${since.toISOString()}::timestamptz) as "lastFired"
      from initiatives i
      join organizations o on o.id = i.organization_id
      left join follow_through_policies op on op.organization_id = i.organization_id and op.initiative_id is null
      left join follow_through_policies ip on ip.organization_id = i.organization_id and ip.initiative_id = i.id
      where i.status = 'active'`)) as unknown as {
      organizationId: string; id: string; orgSettings: PolicySettings | null; ownSettings: PolicySettings | null; zone: string | null; lastFired: string | Date | null;
    }[];
    const latest = latestMomentFinder(now);
    const out: DueFiring[] = [];
    for (const r of rows) {
      const digest = resolvePolicy(r.orgSettings, r.ownSettings, r.zone).reportDigest;
      const moment = digest && latest(digest.rrule, digest.timeZone);
      if (!moment || (r.lastFired && new Date(r.lastFired) >= moment)) continue;
      out.push({ organizationId: r.organizationId, rule: RULE, subjectType: 'initiative', subjectId: r.id, moment });
    }
    return out.sort((a, b) => a.moment.getTime() - b.moment.getTime()).slice(0, limit);
  },

  async fire(tx, recorderFor, firings, now) {
    if (firings.length === 0) return [];
    const ids = [...new Set(firings.map((f) => f.subjectId))];
    const [leads, policies] = await Promise.all([
      initiativesWithLeads(tx, sql`i.id = any(${`{${ids.join(',')}}`}::uuid[])`),
      loadEffectivePolicies(tx, firings.map((f) => f.organizationId)),
    ]);
    const byId = new Map(leads.map((i) => [`${i.organizationId}/${i.id}`, i]));
    const outcomes: FiringOutcome[] = [];
    for (const f of firings) {
      const initiative = byId.get(`${f.organizationId}/${f.subjectId}`);
      const digest = policies.for(f.organizationId, f.subjectId).reportDigest;
      if (!initiative || initiative.status !== 'active') {
        outcomes.push({ status: 'skipped', reason: 'initiative_not_active' });
      } else if (!digest || latestDigestMoment(digest.rrule, digest.timeZone, f.moment, f.moment)?.getTime() !== f.moment.getTime()) {
        outcomes.push({ status: 'skipped', reason: 'policy_changed' });
      } else if (f.lateBySeconds >= MAX_LATE_SECONDS) {
        outcomes.push({ status: 'skipped', reason: 'too_late' });
      } else if (recipientsOf(initiative, digest.timeZone).length === 0) {
        outcomes.push({ status: 'skipped', reason: 'no_recipients' });
      } else {
        const report = await initiativeReport(tx, f.organizationId, f.subjectId, { from: previousDigestMoment(digest.rrule, digest.timeZone, f.moment), to: f.moment });
        const recipients = recipientsOf(initiative, digest.timeZone);
        const data: z.infer<typeof ReportReadyData> = {
          rule: RULE, dueAt: f.moment.toISOString(), firedAt: now.toISOString(), lateBy: Math.max(0, Math.round(f.lateBySeconds)),
          timeZone: digest.timeZone, recipients, report, markdown: reportMarkdown(report),
        };
        const event = await recorderFor(f.organizationId).event('initiative.report.ready', data);
        outcomes.push({ status: 'fired', eventId: event.id, eventOccurredAt: event.occurredAt, recipients });
      }
    }
    return outcomes;
  },

  // The digest concerns initiatives only: a meeting or issue filter leaves nothing. Only active
  // initiatives have digests (a planned one starts when activated; an ended one has none left).
  async planned(db, organizationId, window, filter) {
    if (filter.meetingId || filter.issueId) return [];
    const [leads, policies] = await Promise.all([
      initiativesWithLeads(db, sql`i.organization_id = ${organizationId}::uuid and i.status = 'active' ${filter.initiativeId ? sql`and i.id = ${filter.initiativeId}::uuid` : sql``}`),
      loadEffectivePolicies(db, [organizationId]),
    ]);
    const out: PlannedFiring[] = [];
    for (const i of leads) {
      const digest = policies.for(organizationId, i.id).reportDigest;
      if (!digest) continue;
      const recipients = recipientsOf(i, digest.timeZone);
      for (const moment of digestMoments(digest.rrule, digest.timeZone, window.from, window.to, PLANNED_PER_INITIATIVE)) {
        out.push({ organizationId, rule: RULE, subjectType: 'initiative', subjectId: i.id, moment, recipients, ...(recipients.length ? {} : { skipReason: 'no_recipients' }) });
      }
    }
    return out;
  },
};

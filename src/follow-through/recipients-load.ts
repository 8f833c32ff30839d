import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import type { PersonSummary } from '../issues/meeting-context.js';
import type { Recipient } from './recipients.js';

/** A person as follow-through events name them: `timeZone` is theirs, else the organisation's default. */
export interface PersonRecord {
  id: string;
  organizationId: string;
  name: string;
  email: string;
  departmentId: string | null;
  timeZone: string | null;
}

/** The SQL columns of a PersonRecord over people `p` and organizations `o`. */
export const personColumns = sql.raw(
  `p.id, p.organization_id as "organizationId", p.name, p.email, p.department_id as "departmentId", coalesce(p.time_zone, o.default_time_zone) as "timeZone"`,
);

/** `(organization_id, id)` pairs as an `unnest` row source named `alias(organization_id, id)`. */
export function keyRows(keys: { organizationId: string; id: string }[], alias: string) {
  return sql`unnest(${`{${keys.map((k) => k.organizationId).join(',')}}`}::uuid[], ${`{${keys.map((k) => k.id).join(',')}}`}::uuid[]) as ${sql.raw(alias)}(organization_id, id)`;
}

export const personKey = (organizationId: string, id: string) => `${organizationId}/${id}`;

/** The people named by (organisation, id), in one query; keyed by `personKey`. */
export async function loadPeople(db: DbOrTx, refs: { organizationId: string; id: string | null }[]): Promise<Map<string, PersonRecord>> {
  const keys = [...new Map(refs.filter((r): r is { organizationId: string; id: string } => !!r.id).map((r) => [personKey(r.organizationId, r.id), r])).values()];
  if (keys.length === 0) return new Map();
  const rows = (await db.execute(sql`
    select ${personColumns}
    from ${keyRows(keys, 'k')}
    join people p on p.organization_id = k.organization_id and p.id = k.id
    join organizations o on o.id = p.organization_id`)) as unknown as PersonRecord[];
  return new Map(rows.map((p) => [personKey(p.organizationId, p.id), p]));
}

export const personSummary = (p: PersonRecord): PersonSummary => ({ id: p.id, name: p.name, email: p.email, departmentId: p.departmentId });

/** Recipients in the order added, each person once (with the reason they were first added for). */
export class RecipientList {
  private byId = new Map<string, Recipient>();
  add(p: PersonRecord | null | undefined, reason: string): this {
    if (p && !this.byId.has(p.id)) this.byId.set(p.id, { personId: p.id, name: p.name, email: p.email, timeZone: p.timeZone, reason });
    return this;
  }
  get list(): Recipient[] {
    return [...this.byId.values()];
  }
}

import { eq } from 'drizzle-orm';
import { departments, initiatives, issues, meetings, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { diffFields } from '../platform/changes.js';
import { BadRequest, Conflict } from '../platform/errors.js';
import { assertReferences } from '../platform/references.js';
import { insertReturning } from '../platform/built-once.js';
import { findMeeting, type MeetingRow } from '../meetings/queries.js';
import { assertAgendaItemOfMeeting, personSummaries } from './meeting-context.js';
import { findIssue, toApiIssue, type IssueRow } from './queries.js';
import type { ApiIssue, IssuePatch, IssueStatus, NewIssue } from './schemas.js';

/** The issue lifecycle: which status may follow which. Anything else is 409. */
const transitions: Record<IssueStatus, IssueStatus[]> = {
  open: ['in_progress', 'resolved'],
  in_progress: ['blocked', 'resolved'],
  blocked: ['in_progress', 'resolved'],
  resolved: ['closed', 'open'],
  closed: [],
};

async function ownerOf(rec: ChangeRecorder, ownerId: string | null) {
  return ownerId ? ((await personSummaries(rec.tx, rec.organizationId, [ownerId])).get(ownerId) ?? null) : null;
}

/**
 * Payload of every issue event: the issue and its owner's name and e-mail. `owner`, when given,
 * is the owner's summary looked up ahead (in the round trip of the reference checks).
 */
export async function issueEventData(rec: ChangeRecorder, issue: ApiIssue, owner?: Promise<Awaited<ReturnType<typeof ownerOf>>>) {
  return { issue, owner: await (owner ?? ownerOf(rec, issue.ownerId)) };
}

async function assertRefs(rec: ChangeRecorder, input: IssuePatch) {
  await assertReferences(rec.tx, rec.organizationId, [
    { path: 'body.ownerId', table: people, id: input.ownerId, what: 'person' },
    { path: 'body.departmentId', table: departments, id: input.departmentId, what: 'department' },
    { path: 'body.initiativeId', table: initiatives, id: input.initiativeId, what: 'initiative' },
  ]);
}

/** The owner's department, used when an issue names an owner but no department. */
async function departmentOf(rec: ChangeRecorder, personId: string | null | undefined): Promise<string | null> {
  if (!personId) return null;
  const [row] = await rec.tx.select({ departmentId: people.departmentId }).from(people).where(eq(people.id, personId));
  return row?.departmentId ?? null;
}

const insertIssue = insertReturning(issues);

/**
 * Opens an issue, on its own or raised in a meeting (`raisedIn`, or `meetingId` in the body): its
 * agenda item must belong to that meeting and the initiative defaults to the meeting's.
 */
export async function createIssue(rec: ChangeRecorder, input: NewIssue, raisedIn?: MeetingRow): Promise<ApiIssue> {
  // The owner the event names is known from the body: looked up with the reference checks, in one
  // round trip (postgres.js pipelines what is not awaited one by one).
  const owner = ownerOf(rec, input.ownerId ?? null);
  owner.catch(() => {}); // a refused reference fails the request first
  await assertRefs(rec, input);
  let meeting = raisedIn ?? null;
  if (!meeting && input.meetingId) {
    await assertReferences(rec.tx, rec.organizationId, [{ path: 'body.meetingId', table: meetings, id: input.meetingId, what: 'meeting' }]);
    meeting = await findMeeting(rec.tx, rec.organizationId, input.meetingId);
  }
  if (meeting?.status === 'cancelled') throw new Conflict('The meeting is cancelled; issues cannot be raised in it.');
  await assertAgendaItemOfMeeting(rec.tx, rec.organizationId, meeting?.id ?? null, input.agendaItemId, 'body.agendaItemId');
  const [row] = await insertIssue(rec.tx, {
    organizationId: rec.organizationId,
    title: input.title,
    description: input.description ?? null,
    kind: input.kind ?? 'action',
    priority: input.priority ?? 'normal',
    ownerId: input.ownerId ?? null,
    departmentId: input.departmentId !== undefined ? input.departmentId : await departmentOf(rec, input.ownerId),
    dueAt: input.dueAt ? new Date(input.dueAt) : null,
    meetingId: meeting?.id ?? null,
    agendaItemId: input.agendaItemId ?? null,
    initiativeId: input.initiativeId !== undefined ? input.initiativeId : (meeting?.initiativeId ?? null),
  });
  const api = toApiIssue(row!);
  await rec.audit({ action: 'create', entityType: 'issue', entityId: api.id, after: api });
  await rec.event('issue.opened', await issueEventData(rec, api, owner));
  return api;
}

function statusChange(current: IssueRow, patch: IssuePatch, now: Date): Partial<IssueRow> {
  const from = current.status as IssueStatus;
  const to = patch.status;
  if (to === undefined || to === from) return {};
  if (!transitions[from].includes(to)) {
    const allowed = transitions[from].length ? transitions[from].join(', ') : 'nothing (closed is final)';
    throw new Conflict(`The issue is ${from}; it cannot become ${to} (allowed from ${from}: ${allowed}).`);
  }
  if (to === 'resolved') {
    const resolution = patch.resolution !== undefined ? patch.resolution : current.resolution;
    if (!resolution?.trim()) throw new BadRequest('Resolving an issue needs a `resolution`.', [{ path: 'body.resolution', message: 'required to resolve' }]);
    return { status: to, resolution, resolvedAt: now };
  }
  if (to === 'closed') return { status: to, closedAt: now };
  // Re-opening forgets the old resolution: resolving again needs a new one.
  if (from === 'resolved') return { status: to, resolution: null, resolvedAt: null };
  return { status: to };
}

/** Applies a patch, enforcing the lifecycle; emits `issue.updated` (and `issue.resolved`). */
export async function updateIssue(rec: ChangeRecorder, id: string, patch: IssuePatch, checkVersion: (v: number) => void): Promise<ApiIssue> {
  const current = await findIssue(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  await assertRefs(rec, patch);
  await assertAgendaItemOfMeeting(rec.tx, rec.organizationId, current.meetingId, patch.agendaItemId, 'body.agendaItemId');
  const now = new Date();
  const { status: _s, dueAt, ...fields } = patch;
  const set: Partial<IssueRow> = {
    ...fields,
    ...(dueAt !== undefined ? { dueAt: dueAt === null ? null : new Date(dueAt) } : {}),
    ...statusChange(current, patch, now),
  };
  const [row] = await rec.tx
    .update(issues)
    .set({ ...set, updatedAt: now, version: current.version + 1 })
    .where(eq(issues.id, id))
    .returning();
  const before = toApiIssue(current, now);
  const after = toApiIssue(row!, now);
  await rec.audit({ action: 'update', entityType: 'issue', entityId: id, before, after });
  await emitIssueUpdated(rec, before, after);
  return after;
}

/** `issue.updated` with the changed fields (and `issue.resolved` when it became resolved). */
export async function emitIssueUpdated(rec: ChangeRecorder, before: ApiIssue, after: ApiIssue) {
  const { version: _v, ...changes } = diffFields(before, after);
  if (Object.keys(changes).length === 0) return;
  const data = await issueEventData(rec, after);
  await rec.event('issue.updated', { ...data, changes });
  if (after.status === 'resolved' && before.status !== 'resolved') await rec.event('issue.resolved', data);
}

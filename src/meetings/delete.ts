import { and, eq } from 'drizzle-orm';
import { meetings } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { Conflict } from '../platform/errors.js';
import { findMeeting, toApiMeeting } from './queries.js';

/**
 * Only a draft can be deleted: once invitations went out, the meeting is part of the record and
 * is cancelled instead (409). Its participants and agenda go with it.
 */
export async function deleteMeeting(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void) {
  const current = await findMeeting(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  if (current.status !== 'draft') throw new Conflict(`The meeting is ${current.status}; only a draft can be deleted, cancel it instead.`);
  await rec.tx.delete(meetings).where(and(eq(meetings.organizationId, rec.organizationId), eq(meetings.id, id)));
  await rec.audit({ action: 'delete', entityType: 'meeting', entityId: id, before: toApiMeeting(current) });
}

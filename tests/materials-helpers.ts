import { randomBytes } from 'node:crypto';
import { agendaItems, meetings } from '../db/schema/index.js';
import type { Answer, TestApp, Caller } from './helpers.js';
import { uniq } from './helpers.js';

// Meetings are inserted directly: these tests are about materials, and only need a meeting row in
// a given state (due time, invitations sent, status).
export async function insertMeeting(
  api: TestApp,
  opts: { organizationId?: string; dueInHours?: number; invitationsSent?: boolean; status?: string } = {},
) {
  const startsAt = new Date(Date.now() + 48 * 3600_000);
  const [row] = await api.database.db
    .insert(meetings)
    .values({
      organizationId: opts.organizationId ?? api.organizationId,
      title: uniq('Cross-department sync'),
      startsAt,
      endsAt: new Date(startsAt.getTime() + 3600_000),
      timeZone: 'Europe/Berlin',
      materialsDueAt: new Date(Date.now() + (opts.dueInHours ?? 24) * 3600_000),
      status: opts.status ?? (opts.invitationsSent ? 'scheduled' : 'draft'),
      invitationsSentAt: opts.invitationsSent ? new Date() : null,
    })
    .returning();
  return row!;
}

export async function insertAgendaItem(api: TestApp, meetingId: string, organizationId = api.organizationId) {
  const [row] = await api.database.db.insert(agendaItems).values({ organizationId, meetingId, position: 1, title: uniq('Budget') }).returning();
  return row!;
}

export interface FilePart {
  name?: string;
  fileName: string;
  type?: string;
  data: Buffer;
}

/** A multipart/form-data body built by hand, parts in the order given, names in raw UTF-8 as browsers send them. */
export function multipartBody(parts: ({ field: string; value: string } | FilePart)[]) {
  const boundary = `----liaison${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if ('field' in p) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"\r\n\r\n${p.value}\r\n`));
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name ?? 'file'}"; filename="${p.fileName}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        p.data,
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function upload(api: TestApp, caller: Caller, url: string, parts: Parameters<typeof multipartBody>[0], headers: Record<string, string> = {}): Promise<Answer> {
  const { payload, contentType } = multipartBody(parts);
  return api.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${caller.key}`, 'content-type': contentType, ...headers } });
}

export const pdfBytes = (size = 2000) => {
  const b = Buffer.alloc(size, 0x41);
  Buffer.from('%PDF-1.7\n').copy(b);
  return b;
};

/** Row counts of every table a material write touches, to prove a refusal wrote nothing. */
export async function materialCounts(api: TestApp) {
  const tables = ['materials', 'material_versions', 'material_files', 'material_file_chunks', 'material_acknowledgements', 'events', 'audit_events'];
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await api.count(t)] as const)));
}

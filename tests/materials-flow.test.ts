import t from 'tap';
import { and, eq } from 'drizzle-orm';
import { events } from '../db/schema/index.js';
import { buildTestApp } from './helpers.js';
import { pdfBytes, upload } from './materials-helpers.js';

// Through the meetings API: a link shared on time before the invitations, a file shared late after
// them, and the meeting embedding both summaries.
t.test('a link and a file shared for a meeting, one late, over the meetings API', async (t) => {
  const api = await buildTestApp(t);
  const startsAt = new Date(Date.now() + 3 * 86400_000);
  const meeting = await api.post('/v1/meetings', {
    title: 'Quarterly planning across departments',
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
    timeZone: 'Asia/Shanghai',
    agendaItems: [{ title: 'Budget' }, { title: 'Hiring' }],
  });
  t.equal(meeting.status, 201, meeting.text);
  const id = meeting.body.id as string;
  const [budget] = meeting.body.agendaItems as { id: string }[];

  const link = await api.post(`/v1/meetings/${id}/materials`, { title: 'Budget draft', url: 'https://docs.example.com/budget', agendaItemId: budget!.id, required: true });
  t.equal(link.status, 201);
  t.equal(link.body.late, false);

  const invited = await api.post(`/v1/meetings/${id}/invitations`, {});
  t.equal(invited.status, 200, invited.text);
  const [invitation] = await api.database.db.select().from(events).where(and(eq(events.organizationId, api.organizationId), eq(events.type, 'meeting.invitation.sent')));
  t.match(invitation?.data, { meeting: { id, materials: [{ id: link.body.id, title: 'Budget draft', kind: 'link', required: true, late: false }] } }, 'the invitation carries the link');

  // The due time moves before now: what is shared from here on is late.
  const moved = await api.patch(`/v1/meetings/${id}`, { materialsDueAt: new Date(Date.now() - 60_000).toISOString() });
  t.equal(moved.status, 200, moved.text);
  const file = await upload(api, api, `/v1/meetings/${id}/materials`, [{ fileName: '季度计划.pdf', type: 'application/pdf', data: pdfBytes(4096) }]);
  t.equal(file.status, 201, file.text);
  t.equal(file.body.late, true);

  const shared = await api.database.db.select().from(events).where(and(eq(events.organizationId, api.organizationId), eq(events.type, 'material.shared')));
  t.equal(shared.length, 1, 'only the file, shared after the invitations, is announced');
  t.match(shared[0]!.data, { material: { id: file.body.id, late: true }, meeting: { id, title: 'Quarterly planning across departments' } });

  const detail = await api.get(`/v1/meetings/${id}`);
  t.equal(detail.status, 200);
  t.match(detail.body.materials, [
    { id: link.body.id, kind: 'link', late: false, url: 'https://docs.example.com/budget', agendaItemId: budget!.id },
    { id: file.body.id, kind: 'file', late: true, fileName: '季度计划.pdf', sizeBytes: 4096, contentType: 'application/pdf', sha256: file.body.sha256 },
  ]);
});

import t from 'tap';
import { createHash } from 'node:crypto';
import { MaterialShared } from '../src/materials/events.js';
import { and, eq } from 'drizzle-orm';
import { events } from '../db/schema/index.js';
import { buildTestApp, uniq, type TestApp } from './helpers.js';
import { insertAgendaItem, insertMeeting, materialCounts, pdfBytes, upload } from './materials-helpers.js';

// The event log API shows an event once no older transaction of the database is in flight (the
// app's own worker may hold one for a moment); read the rows directly so that nothing delays them.
const sharedEvents = (api: TestApp) =>
  api.database.db.select().from(events).where(and(eq(events.organizationId, api.organizationId), eq(events.type, 'material.shared'))).orderBy(events.seq);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('a link and a file shared ahead, one late; read, list, update, delete', async (t) => {
  const api = await buildTestApp(t);
  const meeting = await insertMeeting(api, { dueInHours: 24 });
  const item = await insertAgendaItem(api, meeting.id);
  const base = `/v1/meetings/${meeting.id}/materials`;

  const link = await api.post(base, { title: 'Budget sheet', url: 'https://docs.example.com/budget', agendaItemId: item.id, required: true });
  t.equal(link.status, 201);
  t.match(link.body, {
    id: String, meetingId: meeting.id, agendaItemId: item.id, title: 'Budget sheet', kind: 'link', url: 'https://docs.example.com/budget',
    fileName: null, sizeBytes: null, sha256: null, required: true, contentVersion: 1, late: false, version: 1, sharedAt: String,
  });
  t.equal(link.headers.etag, '"v1"');

  const pdf = pdfBytes(3000);
  const file = await upload(api, api, base, [{ fileName: '季度计划.pdf', type: 'application/pdf', data: pdf }, { field: 'required', value: 'true' }]);
  t.equal(file.status, 201, file.text);
  t.match(file.body, {
    kind: 'file', title: '季度计划.pdf', fileName: '季度计划.pdf', contentType: 'application/pdf', declaredContentType: 'application/pdf',
    detectedContentType: 'application/pdf', sizeBytes: 3000, sha256: sha(pdf), required: true, agendaItemId: null, late: false, contentVersion: 1,
  });

  // The due time passes: what is shared now is late.
  const lateMeeting = await insertMeeting(api, { dueInHours: -1 });
  const late = await api.post(`/v1/meetings/${lateMeeting.id}/materials`, { title: 'Late notes', url: 'https://docs.example.com/late' });
  t.equal(late.status, 201);
  t.equal(late.body.late, true, 'shared after materialsDueAt');
  t.equal(late.body.required, false);

  const list = await api.get(`${base}?limit=1`);
  t.equal(list.status, 200);
  t.equal(list.body.data.length, 1);
  t.equal(list.body.data[0].id, link.body.id);
  const next = await api.get(`${base}?limit=1&cursor=${list.body.nextCursor}`);
  t.same(next.body.data.map((m: { id: string }) => m.id), [file.body.id]);
  t.equal(next.body.nextCursor, null);

  const got = await api.get(`/v1/materials/${file.body.id}`);
  t.same(got.body, file.body);

  t.equal((await api.patch(`/v1/materials/${link.body.id}`, { title: 'Budget 2027' }, { 'if-match': '"v9"' })).status, 412);
  const patched = await api.patch(`/v1/materials/${link.body.id}`, { title: 'Budget 2027', agendaItemId: null }, { 'if-match': '"v1"' });
  t.equal(patched.status, 200);
  t.match(patched.body, { title: 'Budget 2027', agendaItemId: null, version: 2, contentVersion: 1 });
  t.equal(patched.headers.etag, '"v2"');

  const audit = await api.get(`/v1/audit-events?entityType=material&entityId=${link.body.id}`);
  t.match(audit.body.data, [{ action: 'create' }, { action: 'update', changes: { title: { before: 'Budget sheet', after: 'Budget 2027' } } }]);

  t.equal(await api.count('events'), 0, 'no material.shared before the invitations are out');

  t.equal((await api.del(`/v1/materials/${file.body.id}`, { 'if-match': '"v7"' })).status, 412);
  const del = await api.del(`/v1/materials/${file.body.id}`, { 'if-match': '"v1"' });
  t.equal(del.status, 204);
  t.equal((await api.get(`/v1/materials/${file.body.id}`)).status, 404);
  t.equal((await api.get(`/v1/materials/${file.body.id}/content`)).status, 404);
  const counts = await materialCounts(api);
  t.equal(counts.material_files, 0, 'the stored bytes went with the material');
  t.equal(counts.material_file_chunks, 0);
});

t.test('material.shared is emitted only once invitations are out, with summary, meeting and version', async (t) => {
  const api = await buildTestApp(t);
  const draft = await insertMeeting(api);
  t.equal((await api.post(`/v1/meetings/${draft.id}/materials`, { title: 'Early', url: 'https://e.example.com/a' })).status, 201);
  t.equal(await api.count('events'), 0);

  const invited = await insertMeeting(api, { invitationsSent: true });
  const pdf = pdfBytes(500);
  const shared = await upload(api, api, `/v1/meetings/${invited.id}/materials`, [{ field: 'title', value: 'Proposal' }, { fileName: 'proposal.pdf', data: pdf }]);
  t.equal(shared.status, 201);
  const events = await sharedEvents(api);
  t.equal(events.length, 1);
  const data = events[0]!.data;
  t.ok(MaterialShared.safeParse(data).success, 'the payload is what the catalogue declares');
  t.match(data, {
    material: { id: shared.body.id, title: 'Proposal', kind: 'file', sizeBytes: 500, sha256: sha(pdf), contentType: 'application/pdf', version: 1, contentVersion: 1 },
    meeting: { id: invited.id, title: invited.title },
    contentVersion: 1,
    version: 1,
  });

  const v2 = await upload(api, api, `/v1/materials/${shared.body.id}/versions`, [{ fileName: 'proposal-v2.pdf', data: pdfBytes(600) }]);
  t.equal(v2.status, 201);
  const after = await sharedEvents(api);
  t.equal(after.length, 2, 'a new version is shared again');
  t.match(after[1]!.data, { material: { fileName: 'proposal-v2.pdf', contentVersion: 2, version: 2 }, contentVersion: 2, version: 2 });
});

t.test('versions: the old ones stay readable; the kind never changes', async (t) => {
  const api = await buildTestApp(t);
  const meeting = await insertMeeting(api, { dueInHours: 24 });
  const first = Buffer.from('Agenda notes, first draft\n');
  const created = await upload(api, api, `/v1/meetings/${meeting.id}/materials`, [{ fileName: 'notes.txt', type: 'text/plain', data: first }]);
  t.equal(created.status, 201);
  t.equal(created.body.contentType, 'text/plain', 'declared text/plain refines detected text');
  const id = created.body.id;

  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
  const v2 = await upload(api, api, `/v1/materials/${id}/versions`, [{ fileName: 'chart.png', type: 'text/html', data: png }]);
  t.equal(v2.status, 201, v2.text);
  t.match(v2.body, { contentVersion: 2, version: 2, fileName: 'chart.png', contentType: 'image/png', declaredContentType: 'text/html', detectedContentType: 'image/png', sha256: sha(png) });

  const current = await api.get(`/v1/materials/${id}/content`);
  t.equal(current.headers['content-type'], 'image/png');
  const old = await api.get(`/v1/materials/${id}/content?version=1`);
  t.equal(old.status, 200);
  t.equal(old.text, first.toString());
  t.equal(old.headers.etag, `"${sha(first)}"`);
  t.equal((await api.get(`/v1/materials/${id}/content?version=3`)).status, 404);

  const versions = await api.get(`/v1/materials/${id}/versions`);
  t.match(versions.body.data, [{ contentVersion: 1, fileName: 'notes.txt', late: false }, { contentVersion: 2, fileName: 'chart.png' }]);

  const before = await materialCounts(api);
  const wrongKind = await api.post(`/v1/materials/${id}/versions`, { url: 'https://x.example.com' });
  t.equal(wrongKind.status, 409);
  t.match(wrongKind.body.detail, /is a file/);
  const extraField = await upload(api, api, `/v1/materials/${id}/versions`, [{ field: 'title', value: 'x' }, { fileName: 'a.txt', data: Buffer.from('a') }]);
  t.equal(extraField.status, 400);
  t.match(extraField.body.errors, [{ path: 'body.title', message: 'unknown field' }]);
  t.same(await materialCounts(api), before, 'refused versions wrote nothing');

  const link = await api.post(`/v1/meetings/${meeting.id}/materials`, { title: 'Wiki', url: 'https://wiki.example.com/1' });
  const linkV2 = await api.post(`/v1/materials/${link.body.id}/versions`, { url: 'https://wiki.example.com/2' });
  t.equal(linkV2.status, 201);
  t.match(linkV2.body, { url: 'https://wiki.example.com/2', contentVersion: 2 });
  const linkFile = await upload(api, api, `/v1/materials/${link.body.id}/versions`, [{ fileName: 'a.txt', data: Buffer.from('a') }]);
  t.equal(linkFile.status, 409);
  const linkContent = await api.get(`/v1/materials/${link.body.id}/content`);
  t.equal(linkContent.status, 409, 'a link has no bytes to download');
  t.match(linkContent.body.detail, /is a link/);
});

t.test('acknowledgements: once per person and version', async (t) => {
  const api = await buildTestApp(t);
  const meeting = await insertMeeting(api);
  const person = await api.post('/v1/people', { name: 'Mei Chen', email: `${uniq('mei')}@example.com` });
  const material = await api.post(`/v1/meetings/${meeting.id}/materials`, { title: 'Plan', url: 'https://plan.example.com/1' });
  const url = `/v1/materials/${material.body.id}/acknowledgements`;

  const first = await api.post(url, { personId: person.body.id });
  t.equal(first.status, 201);
  t.match(first.body, { id: String, materialId: material.body.id, personId: person.body.id, contentVersion: 1, acknowledgedAt: String });
  const again = await api.post(url, { personId: person.body.id });
  t.equal(again.status, 200, 'repeating it is not an error');
  t.same(again.body, first.body);
  t.equal(await api.count('material_acknowledgements'), 1);

  await api.post(`/v1/materials/${material.body.id}/versions`, { url: 'https://plan.example.com/2' });
  const v2 = await api.post(url, { personId: person.body.id });
  t.equal(v2.status, 201, 'a new version is read anew');
  t.equal(v2.body.contentVersion, 2);
  const explicitV1 = await api.post(url, { personId: person.body.id, contentVersion: 1 });
  t.equal(explicitV1.status, 200);

  const list = await api.get(url);
  t.same(list.body.data.map((a: { contentVersion: number }) => a.contentVersion), [1, 2]);
  const onlyV2 = await api.get(`${url}?contentVersion=2`);
  t.equal(onlyV2.body.data.length, 1);

  const other = await api.newOrganization();
  const stranger = await other.post('/v1/people', { name: 'Outsider', email: `${uniq('out')}@example.com` });
  const before = await materialCounts(api);
  const foreign = await api.post(url, { personId: stranger.body.id });
  t.equal(foreign.status, 400);
  t.match(foreign.body.errors, [{ path: 'body.personId' }]);
  const noVersion = await api.post(url, { personId: person.body.id, contentVersion: 3 });
  t.equal(noVersion.status, 400);
  t.match(noVersion.body.errors, [{ path: 'body.contentVersion' }]);
  t.equal((await other.post(url, { personId: stranger.body.id })).status, 404, 'another organisation cannot see the material');
  t.equal((await other.get(url)).status, 404);
  t.same(await materialCounts(api), before, 'refused acknowledgements wrote nothing');
});

import t from 'tap';
import { buildTestApp } from './helpers.js';
import { meetingInput, person } from './meetings-helpers.js';

t.test('agenda items: add at a position, edit, delete, reorder, time box totals', async (t) => {
  const api = await buildTestApp(t);
  const owner = await person(api, 'Owner');
  const m = (await api.post('/v1/meetings', meetingInput({ agendaItems: [{ title: 'A', durationMinutes: 20 }, { title: 'B', durationMinutes: 20 }] }))).body;
  const url = `/v1/meetings/${m.id}/agenda-items`;

  const inserted = await api.post(url, { title: 'First', position: 1, durationMinutes: 30, ownerId: owner.id, kind: 'decision' });
  t.equal(inserted.status, 201, inserted.text);
  t.match(inserted.body, { position: 1, title: 'First', kind: 'decision', ownerId: owner.id, status: 'pending', carriedFrom: null, version: 1 });
  const last = await api.post(url, { title: 'Last' });
  t.match(last.body, { position: 4 });
  let list = (await api.get(url)).body.data;
  t.same(list.map((i: { title: string; position: number }) => `${i.position}:${i.title}`), ['1:First', '2:A', '3:B', '4:Last']);
  t.match((await api.get(`/v1/meetings/${m.id}`)).body, { agendaMinutes: 70, overrunMinutes: 10 }, 'a 60-minute meeting with 70 minutes of agenda overruns by 10');

  const patched = await api.patch(`${url}/${inserted.body.id}`, { durationMinutes: 10 }, { 'if-match': '"v1"' });
  t.match(patched.body, { durationMinutes: 10, version: 2 });
  t.equal((await api.patch(`${url}/${inserted.body.id}`, { title: 'x' }, { 'if-match': '"v1"' })).status, 412);
  t.match((await api.get(`/v1/meetings/${m.id}`)).body, { agendaMinutes: 50, overrunMinutes: 0 });
  const badOwner = await api.patch(`${url}/${inserted.body.id}`, { ownerId: '3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10' });
  t.equal(badOwner.status, 400);
  t.match(badOwner.body.errors, [{ path: 'body.ownerId' }]);

  t.equal((await api.del(`${url}/${list[1].id}`)).status, 204);
  list = (await api.get(url)).body.data;
  t.same(list.map((i: { title: string; position: number }) => `${i.position}:${i.title}`), ['1:First', '2:B', '3:Last'], 'positions close up');

  const audit = await api.get(`/v1/audit-events?entityType=agenda_item&entityId=${inserted.body.id}`);
  t.match(audit.body.data, [{ action: 'create' }, { action: 'update', changes: { durationMinutes: { before: 30, after: 10 } } }]);
});

t.test('reorder: the full list of ids, atomically; missing, foreign or repeated ids are 400', async (t) => {
  const api = await buildTestApp(t);
  const m = (await api.post('/v1/meetings', meetingInput({ agendaItems: [{ title: 'A' }, { title: 'B' }, { title: 'C' }] }))).body;
  const other = (await api.post('/v1/meetings', meetingInput({ agendaItems: [{ title: 'X' }] }))).body;
  const [a, b, c] = m.agendaItems.map((i: { id: string }) => i.id);
  const url = `/v1/meetings/${m.id}/agenda-items/order`;
  const audits = await api.count('audit_events');

  const missing = await api.put(url, { itemIds: [c, a] });
  t.equal(missing.status, 400);
  t.match(missing.body.errors, [{ path: 'body.itemIds', message: /missing/ }]);
  const foreign = await api.put(url, { itemIds: [c, a, other.agendaItems[0].id] });
  t.equal(foreign.status, 400);
  t.match(foreign.body.errors, [{ path: 'body.itemIds[2]' }]);
  const twice = await api.put(url, { itemIds: [c, a, a, b] });
  t.equal(twice.status, 400);
  t.match(twice.body.errors, [{ path: 'body.itemIds[2]', message: 'listed twice' }]);
  t.equal((await api.put(url, { itemIds: [] })).status, 400);
  t.equal(await api.count('audit_events'), audits, 'refused reorders write nothing');
  t.same((await api.get(`/v1/meetings/${m.id}/agenda-items`)).body.data.map((i: { id: string }) => i.id), [a, b, c]);

  const ok = await api.put(url, { itemIds: [c, a, b] });
  t.equal(ok.status, 200);
  t.same(ok.body.data.map((i: { id: string; position: number }) => [i.id, i.position]), [[c, 1], [a, 2], [b, 3]]);

  const org2 = await api.newOrganization();
  t.equal((await org2.put(url, { itemIds: [c, a, b] })).status, 404);
  t.equal((await org2.get(`/v1/meetings/${m.id}/agenda-items/${a}`)).status, 404);
  t.equal((await api.get(`/v1/meetings/${other.id}/agenda-items/${a}`)).status, 404, 'an item is found only under its own meeting');
});

t.test('agenda of a completed meeting: only the status of an item may still change', async (t) => {
  const api = await buildTestApp(t);
  const m = (await api.post('/v1/meetings', meetingInput({ agendaItems: [{ title: 'A' }] }))).body;
  const item = m.agendaItems[0];
  for (const step of ['invitations', 'start', 'end']) t.equal((await api.post(`/v1/meetings/${m.id}/${step}`)).status, 200);
  const status = await api.patch(`/v1/meetings/${m.id}/agenda-items/${item.id}`, { status: 'deferred' });
  t.equal(status.status, 200);
  t.match(status.body, { status: 'deferred' });
  const title = await api.patch(`/v1/meetings/${m.id}/agenda-items/${item.id}`, { title: 'Rewritten' });
  t.equal(title.status, 409);
  t.match(title.body.detail, /completed/);
  t.equal((await api.del(`/v1/meetings/${m.id}/agenda-items/${item.id}`)).status, 409);
  t.equal((await api.put(`/v1/meetings/${m.id}/agenda-items/order`, { itemIds: [item.id] })).status, 409);
});

import t from 'tap';
import { buildTestApp } from './helpers.js';
import { eventsOf, meetingInput, person } from './meetings-helpers.js';

t.test('participants: add, 409 on a second add, roles, RSVP events, attendance after the start', async (t) => {
  const api = await buildTestApp(t);
  const ana = await person(api, 'Ana');
  const bo = await person(api, 'Bo');
  const m = (await api.post('/v1/meetings', meetingInput({ participants: [{ personId: ana.id, role: 'chair' }] }))).body;
  const url = `/v1/meetings/${m.id}/participants`;

  const added = await api.post(url, { personId: bo.id, role: 'presenter' });
  t.equal(added.status, 201, added.text);
  t.match(added.body, { personId: bo.id, name: 'Bo', role: 'presenter', response: 'needs_action', attended: null, version: 1 });
  const rows = await api.count('meeting_participants');
  const again = await api.post(url, { personId: bo.id });
  t.equal(again.status, 409);
  t.equal(await api.count('meeting_participants'), rows);
  const unknown = await api.post(url, { personId: '3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10' });
  t.equal(unknown.status, 400);
  t.match(unknown.body.errors, [{ path: 'body.personId', message: 'unknown person' }]);
  t.equal((await api.post(url, { personId: bo.id, role: 'boss' })).status, 400);

  const list = await api.get(url);
  t.same(list.body.data.map((p: { personId: string }) => p.personId), [ana.id, bo.id]);
  t.equal(list.body.nextCursor, null);
  const paged = await api.get(`${url}?limit=1`);
  t.equal(paged.body.data.length, 1);
  const page2 = await api.get(`${url}?limit=1&cursor=${paged.body.nextCursor}`);
  t.same(page2.body.data.map((p: { personId: string }) => p.personId), [bo.id]);

  // RSVP: records the answer once, emits participant.responded with the version.
  const rsvp = await api.put(`${url}/${bo.id}/response`, { response: 'accepted' });
  t.equal(rsvp.status, 200);
  t.match(rsvp.body, { response: 'accepted', respondedAt: String, version: 2 });
  t.equal((await api.put(`${url}/${bo.id}/response`, { response: 'accepted' })).body.version, 2, 'the same answer again changes nothing');
  t.equal((await api.put(`${url}/${bo.id}/response`, { response: 'maybe' })).status, 400);
  t.equal((await api.put(`${url}/${bo.id}/response`, { response: 'declined' }, { 'if-match': '"v1"' })).status, 412);
  const events = await eventsOf(api, 'participant.responded', 1);
  t.equal(events.length, 1);
  t.match(events[0].data, { meeting: { id: m.id, version: 1 }, participant: { personId: bo.id, response: 'accepted', version: 2 }, previousResponse: 'needs_action' });

  // Attendance is a fact of a meeting that has started.
  const early = await api.patch(`${url}/${ana.id}`, { attended: true });
  t.equal(early.status, 409);
  t.match(early.body.detail, /draft/);
  t.equal((await api.patch(`${url}/${ana.id}`, { role: 'note_taker' })).body.role, 'note_taker');
  await api.post(`/v1/meetings/${m.id}/invitations`);
  await api.post(`/v1/meetings/${m.id}/start`);
  await api.post(`/v1/meetings/${m.id}/end`);
  const attended = await api.patch(`${url}/${ana.id}`, { attended: true });
  t.equal(attended.status, 200);
  t.match(attended.body, { attended: true });
  t.equal((await api.patch(`${url}/${ana.id}`, { role: 'chair' })).status, 409, 'roles are fixed once completed');
  t.equal((await api.put(`${url}/${ana.id}/response`, { response: 'declined' })).status, 409);
  t.equal((await api.del(`${url}/${bo.id}`)).status, 409);
});

t.test('participants: path ids of another organisation are 404, removal, unknown participant', async (t) => {
  const api = await buildTestApp(t);
  const ana = await person(api, 'Ana');
  const m = (await api.post('/v1/meetings', meetingInput({ participants: [{ personId: ana.id }] }))).body;
  const other = await api.newOrganization();
  const theirs = await person(other, 'Zed');
  const url = `/v1/meetings/${m.id}/participants`;

  t.equal((await api.get(`${url}/${theirs.id}`)).status, 404, 'a person of another organisation is not a participant here');
  t.equal((await api.put(`${url}/${theirs.id}/response`, { response: 'accepted' })).status, 404);
  t.equal((await api.del(`${url}/${theirs.id}`)).status, 404);
  const foreignBody = await api.post(url, { personId: theirs.id });
  t.equal(foreignBody.status, 400, 'in a body it is an unknown reference');
  t.equal((await other.get(url)).status, 404);
  t.equal((await other.post(url, { personId: theirs.id })).status, 404);

  t.equal((await api.del(`${url}/${ana.id}`, { 'if-match': '"v5"' })).status, 412);
  t.equal((await api.del(`${url}/${ana.id}`)).status, 204);
  t.equal((await api.get(`${url}/${ana.id}`)).status, 404);
  const audit = await api.get(`/v1/audit-events?entityType=meeting_participant&entityId=${m.id}`);
  t.match(audit.body.data.map((a: { action: string }) => a.action), ['create', 'delete']);
});

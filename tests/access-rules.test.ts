import t, { type Test } from 'tap';
import Fastify from 'fastify';
import { buildTestApp, type Answer, type Caller, type TestApp } from './helpers.js';
import { callerWith, newPerson, problem } from './access-helpers.js';
import { registerAuthorization } from '../src/access/authorize.js';

const HEADER = 'liaison-on-behalf-of';

async function keyFor(api: TestApp, personId: string): Promise<Caller> {
  const res = await api.post('/v1/api-keys', { name: `key of ${personId.slice(0, 8)}`, scopes: ['read', 'write'], personId });
  if (res.status !== 201) throw new Error(res.text);
  return callerWith(api, res.body.secret);
}

function refused(t: Test, res: Answer, rule: string, what: string) {
  problem(t, res, 403, what);
  t.match(res.body?.detail, new RegExp(`Rule \`${rule}\``), `${what}: the refusal names rule ${rule}`);
}

t.test('a route that declares no access rule stops the app from being built', async (t) => {
  const app = Fastify();
  registerAuthorization(app, null as never);
  app.get('/v1/ruled', { config: { access: 'member' } }, async () => 'ok');
  t.throws(() => app.get('/v1/unruled', async () => 'no rule'), /GET \/v1\/unruled declares no access rule/);
  t.throws(() => app.post('/v1/misruled', { config: { access: 'anyone' as never } }, async () => 'no rule'), /declares no access rule/);
  t.throws(
    () => app.post('/v1/meetings/:meetingId/own', { config: { access: 'participant', visibilityInQuery: true } }, async () => 'judged without a lookup'),
    /visibilityInQuery is for routes under `member` only, not `participant`/,
    'a rule that reads the meeting cannot skip the layer\'s lookup',
  );
  app.get('/v1/meetings/:meetingId/own', { config: { access: 'member', visibilityInQuery: true } }, async () => 'ok');
  app.get('/healthz', { config: { public: true } }, async () => 'public');
  await app.ready();
  t.equal((await app.inject('/healthz')).statusCode, 200, 'a public route needs no rule');
  await app.close();
});

t.test('what a person may do in a meeting: SPEC §8, rule by rule, refusals 403 naming the rule and changing nothing', async (t) => {
  const api = await buildTestApp(t);
  const [organizer, chair, noteTaker, member, outsider] = await Promise.all(
    ['Olu Organizer', 'Chao Chair', 'Nadia Notes', 'Mei Member', 'Xavier Outside'].map((name) => newPerson(api, name)),
  );
  const meeting = await api.post('/v1/meetings', {
    title: 'Budget alignment', startsAt: '2027-05-03T09:00:00Z', endsAt: '2027-05-03T10:00:00Z', timeZone: 'Europe/Paris',
    organizerId: organizer.id,
    participants: [{ personId: chair.id, role: 'chair' }, { personId: noteTaker.id, role: 'note_taker' }, { personId: member.id }],
    agendaItems: [{ title: 'Numbers', ownerId: chair.id }, { title: 'Hiring', ownerId: member.id }],
  });
  t.equal(meeting.status, 201, meeting.text);
  const m = meeting.body;
  const [chairItem, memberItem] = m.agendaItems;
  const [asOrganizer, asChair, asNotes, asMember, asOutsider] = await Promise.all([organizer, chair, noteTaker, member, outsider].map((p) => keyFor(api, p.id)));
  const base = `/v1/meetings/${m.id}`;

  // Reading is open to every person of the organisation (the meeting is visible to the organisation).
  t.equal((await asOutsider.get(base)).status, 200, 'an outsider reads an organisation meeting');

  // Its own answer only.
  t.equal((await asMember.put(`${base}/participants/${member.id}/response`, { response: 'accepted' })).status, 200, 'a participant answers for itself');
  refused(t, await asMember.put(`${base}/participants/${chair.id}/response`, { response: 'declined' }), 'self', "answering for another person");
  t.equal((await api.get(`${base}/participants/${chair.id}`)).body.response, 'needs_action', "the other person's answer is unchanged");

  // Agenda items it owns.
  t.equal((await asMember.patch(`${base}/agenda-items/${memberItem.id}`, { title: 'Hiring plan' })).status, 200, 'the owner edits its item');
  refused(t, await asMember.patch(`${base}/agenda-items/${chairItem.id}`, { title: 'Taken over' }), 'agenda-item-owner', "editing another's item");
  refused(t, await asMember.del(`${base}/agenda-items/${chairItem.id}`), 'agenda-item-owner', "deleting another's item");
  t.equal((await api.get(`${base}/agenda-items/${chairItem.id}`)).body.title, 'Numbers', 'the item is unchanged');

  // Materials to meetings it takes part in.
  const shared = await asMember.post(`${base}/materials`, { title: 'Pre-read', url: 'https://example.com/pre-read.pdf' });
  t.equal(shared.status, 201, shared.text);
  const materialsBefore = await api.count('materials');
  refused(t, await asOutsider.post(`${base}/materials`, { title: 'Gatecrash', url: 'https://example.com/x.pdf' }), 'participant', 'an outsider sharing a material');
  t.equal(await api.count('materials'), materialsBefore, 'no material written');
  t.equal((await asMember.post(`/v1/materials/${shared.body.id}/acknowledgements`, { personId: member.id })).status, 201, 'acknowledging as itself');
  refused(t, await asMember.post(`/v1/materials/${shared.body.id}/acknowledgements`, { personId: chair.id }), 'self', 'acknowledging for another');
  refused(t, await asMember.post(`${base}/feedback`, { personId: chair.id, rating: 1 }), 'self', 'giving feedback as another');
  t.equal(await api.count('feedback'), 0, 'no feedback written');

  // Minutes: note taker, chair or organizer.
  const minutes = { summary: 'Agreed to share.', attendance: [], acknowledgements: [] };
  refused(t, await asMember.put(`${base}/minutes`, minutes, { 'if-match': '"v0"' }), 'minutes-editor', 'a participant writing minutes');
  refused(t, await asOutsider.put(`${base}/minutes`, minutes, { 'if-match': '"v0"' }), 'minutes-editor', 'an outsider writing minutes');
  t.equal((await api.get(`${base}/minutes`)).body.version, 0, 'no draft written');
  t.equal((await asNotes.put(`${base}/minutes`, minutes, { 'if-match': '"v0"' })).status, 200, 'the note taker writes the minutes');
  t.equal((await asChair.put(`${base}/minutes`, { ...minutes, summary: 'Chair edit' }, { 'if-match': '"v1"' })).status, 200, 'the chair edits them');

  // Decisions: chair or organizer.
  const decision = { title: 'Share the budget', statement: 'We share the numbers monthly.' };
  refused(t, await asNotes.post(`${base}/decisions`, decision), 'decision-recorder', 'the note taker recording a decision');
  const recorded = await asChair.post(`${base}/decisions`, decision);
  t.equal(recorded.status, 201, recorded.text);
  t.equal((await asOrganizer.post(`${base}/decisions`, { ...decision, title: 'Second' })).status, 201, 'the organizer records one');
  refused(t, await asMember.patch(`/v1/decisions/${recorded.body.id}`, { title: 'Rewritten' }), 'decision-recorder', 'a participant changing a decision');

  // Issues: anyone opens; the owner changes.
  const opened = await asOutsider.post('/v1/issues', { title: 'Who pays?', ownerId: outsider.id });
  t.equal(opened.status, 201, opened.text);
  t.equal((await asOutsider.patch(`/v1/issues/${opened.body.id}`, { title: 'Who pays for it?' })).status, 200, 'the owner changes its issue');
  refused(t, await asMember.patch(`/v1/issues/${opened.body.id}`, { title: 'Not mine' }), 'issue-owner', "changing another's issue");
  t.equal((await api.get(`/v1/issues/${opened.body.id}`)).body.title, 'Who pays for it?', 'the issue is unchanged');

  // Everything else is for integration keys.
  refused(t, await asOrganizer.patch(base, { title: 'Renamed' }), 'integration', 'a person changing the meeting itself');
  refused(t, await asChair.post('/v1/departments', { name: 'Shadow', code: 'SHADOW' }), 'integration', 'a person creating a department');
  refused(t, await asChair.post('/v1/meetings', { title: '' }), 'integration', 'a person creating a meeting, before its body is validated');
  t.equal((await api.get(base)).body.title, 'Budget alignment', 'the meeting is unchanged');

  // Unknown targets answer 404 as for anyone.
  problem(t, await asMember.patch('/v1/issues/00000000-0000-4000-8000-000000000000', { title: 'x' }), 404, 'an unknown issue');
  problem(t, await asMember.post('/v1/meetings/00000000-0000-4000-8000-000000000000/materials', { title: 'x', url: 'https://example.com/x' }), 404, 'an unknown meeting');

  // On behalf of a person, the same rules apply to that person.
  const assistant = callerWith(api, (await api.post('/v1/api-keys', { name: 'assistant', scopes: ['read', 'write', 'act_as'] })).body.secret);
  refused(t, await assistant.put(`${base}/participants/${chair.id}/response`, { response: 'declined' }, { [HEADER]: member.id }), 'self', 'on behalf of a participant, answering for another');
  t.equal((await assistant.put(`${base}/participants/${chair.id}/response`, { response: 'tentative' }, { [HEADER]: chair.id })).status, 200, 'on behalf of the chair, its own answer');
  t.equal((await assistant.put(`${base}/participants/${member.id}/response`, { response: 'tentative' })).status, 200, 'acting as itself, the integration key answers for anyone');
});

import t from 'tap';
import { buildTestApp } from './helpers.js';
import { eventsOf, meetingRow, person } from './outcomes-helpers.js';

t.test('decisions: record, supersede, edit, revoke, list with filters', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const [ana, bo, cy] = [await person(api, 'Ana'), await person(api, 'Bo'), await person(api, 'Cy')];
  const initiative = await api.post('/v1/initiatives', { title: 'Onboarding', sponsorId: ana.id, ownerId: bo.id });
  t.equal(initiative.status, 201, initiative.text);
  const earlier = await meetingRow(db, api.organizationId, { participantIds: [ana.id, bo.id], status: 'completed' });
  const m = await meetingRow(db, api.organizationId, { participantIds: [ana.id, bo.id, cy.id], agenda: [{ title: 'Budget' }], status: 'in_progress', initiativeId: initiative.body.id });

  const old = await api.post(`/v1/meetings/${earlier.id}/decisions`, { title: 'HR pays', statement: 'HR carries the onboarding budget.', supporters: [ana.id] });
  t.equal(old.status, 201, old.text);
  t.match(old.body, { meetingId: earlier.id, status: 'active', supporters: [ana.id], objections: [], initiativeId: null, version: 1 });

  const recorded = await api.post(`/v1/meetings/${m.id}/decisions`, {
    title: 'Shared budget', statement: 'HR and IT share the budget 60/40.', rationale: 'IT carries laptops.',
    agendaItemId: m.agendaItems[0]!.id, decidedAt: '2026-03-02T09:40:00Z',
    supporters: [ana.id, cy.id], objections: [{ personId: bo.id, note: 'Prefers 50/50.' }], supersedesId: old.body.id,
  });
  t.equal(recorded.status, 201, recorded.text);
  t.match(recorded.body, {
    meetingId: m.id, agendaItemId: m.agendaItems[0]!.id, initiativeId: initiative.body.id, decidedAt: '2026-03-02T09:40:00.000Z',
    supporters: [ana.id, cy.id], objections: [{ personId: bo.id, note: 'Prefers 50/50.' }], supersedesId: old.body.id, status: 'active',
  });
  t.equal(recorded.headers.etag, '"v1"');
  const id = recorded.body.id as string;
  const superseded = (await api.get(`/v1/decisions/${old.body.id}`)).body;
  t.match(superseded, { status: 'superseded', supersededById: id, version: 2 });

  t.match((await eventsOf(api, 'decision.recorded')).map((e) => e.data.decision.id), [old.body.id, id]);
  const [sup] = await eventsOf(api, 'decision.superseded');
  t.match(sup!.data, { decision: { id: old.body.id, status: 'superseded', supersededById: id, version: 2 }, supersededBy: { id, version: 1 } });

  // Edits replace supporters/objections; revoking needs a reason.
  const edited = await api.patch(`/v1/decisions/${id}`, { rationale: 'IT carries laptops and licences.', objections: [] }, { 'if-match': '"v1"' });
  t.equal(edited.status, 200, edited.text);
  t.match(edited.body, { objections: [], supporters: [ana.id, cy.id], version: 2 });
  const [upd] = await eventsOf(api, 'decision.updated');
  t.match(upd!.data, { decision: { id, version: 2 }, changes: { rationale: { before: 'IT carries laptops.', after: 'IT carries laptops and licences.' }, objections: { after: [] } } });
  const noReason = await api.patch(`/v1/decisions/${id}`, { status: 'revoked' });
  t.equal(noReason.status, 400);
  t.match(noReason.body.errors, [{ path: 'body.reason' }]);
  t.equal((await api.patch(`/v1/decisions/${id}`, { reason: 'x' })).status, 400, 'a reason without revoking');
  t.equal((await api.patch(`/v1/decisions/${id}`, { status: 'superseded' })).status, 400, 'superseding goes through supersedesId');
  const revoked = await api.patch(`/v1/decisions/${id}`, { status: 'revoked', reason: 'Budget frozen.' });
  t.equal(revoked.status, 200);
  t.match(revoked.body, { status: 'revoked', revocationReason: 'Budget frozen.', revokedAt: String, version: 3 });
  const [rev] = await eventsOf(api, 'decision.revoked');
  t.match(rev!.data, { decision: { id, status: 'revoked', revocationReason: 'Budget frozen.', version: 3 } });
  const again = await api.patch(`/v1/decisions/${id}`, { title: 'Too late' });
  t.equal(again.status, 409);
  t.match(again.body.detail, /revoked/);

  // Filters
  const list = async (qs: string) => ((await api.get(`/v1/decisions?${qs}`)).body.data as { id: string }[]).map((d) => d.id);
  t.same(await list(`meetingId=${m.id}`), [id]);
  t.same(await list(`initiativeId=${initiative.body.id}`), [id]);
  t.same(await list('status=superseded'), [old.body.id]);
  t.same(await list('status=active'), []);
  const firstPage = await api.get('/v1/decisions?limit=1');
  t.match(firstPage.body, { data: [{ id: old.body.id, supporters: [ana.id] }], nextCursor: String });
  t.same((await api.get(`/v1/decisions?limit=1&cursor=${firstPage.body.nextCursor}`)).body.data.map((d: { id: string }) => d.id), [id]);
});

t.test('decisions: every refusal, and nothing written', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const [ana, outsider] = [await person(api, 'Ana'), await person(api, 'Outsider')];
  const m = await meetingRow(db, api.organizationId, { participantIds: [ana.id], agenda: [{ title: 'Mine' }], status: 'in_progress' });
  const other = await meetingRow(db, api.organizationId, { participantIds: [ana.id], agenda: [{ title: 'Not mine' }], status: 'in_progress' });
  const cancelled = await meetingRow(db, api.organizationId, { status: 'cancelled' });
  const base = { title: 'T', statement: 'S' };
  const active = (await api.post(`/v1/meetings/${m.id}/decisions`, base)).body;
  const replacement = (await api.post(`/v1/meetings/${m.id}/decisions`, { ...base, supersedesId: active.id })).body;
  t.equal(replacement.supersedesId, active.id);
  const revokedOne = (await api.post(`/v1/meetings/${m.id}/decisions`, base)).body;
  t.equal((await api.patch(`/v1/decisions/${revokedOne.id}`, { status: 'revoked', reason: 'No.' })).status, 200);
  const theirs = await api.newOrganization();
  const theirMeeting = await meetingRow(db, theirs.organizationId, { status: 'in_progress' });
  const theirDecision = (await theirs.post(`/v1/meetings/${theirMeeting.id}/decisions`, base)).body;

  const decisions = await api.count('decisions');
  const stances = await api.count('decision_stances');
  const events = await api.count('events');
  const cases: [string, unknown, number, string?][] = [
    [`/v1/meetings/${m.id}/decisions`, { ...base, agendaItemId: other.agendaItems[0]!.id }, 400, 'body.agendaItemId'],
    [`/v1/meetings/${m.id}/decisions`, { ...base, supporters: [outsider.id] }, 400, 'body.supporters[0]'],
    [`/v1/meetings/${m.id}/decisions`, { ...base, supporters: [ana.id], objections: [{ personId: outsider.id }] }, 400, 'body.objections[0].personId'],
    [`/v1/meetings/${m.id}/decisions`, { ...base, supporters: [ana.id], objections: [{ personId: ana.id }] }, 400, 'body.objections[0].personId'],
    [`/v1/meetings/${m.id}/decisions`, { ...base, supersedesId: active.id }, 409],
    [`/v1/meetings/${m.id}/decisions`, { ...base, supersedesId: revokedOne.id }, 409],
    [`/v1/meetings/${m.id}/decisions`, { ...base, supersedesId: theirDecision.id }, 400, 'body.supersedesId'],
    [`/v1/meetings/${m.id}/decisions`, { ...base, statement: '' }, 400, 'body.statement'],
    [`/v1/meetings/${m.id}/decisions`, { ...base, supporters: Array(201).fill(ana.id) }, 400, 'body.supporters'],
    [`/v1/meetings/${m.id}/decisions`, { ...base, status: 'active' }, 400, 'body.status'],
    [`/v1/meetings/${cancelled.id}/decisions`, base, 409],
    [`/v1/meetings/${theirMeeting.id}/decisions`, base, 404],
  ];
  for (const [url, body, status, path] of cases) {
    const res = await api.post(url, body);
    t.equal(res.status, status, `${url} ${JSON.stringify(body).slice(0, 120)}`);
    if (path) t.match(res.body.errors, [{ path }], path);
  }
  const selfSupersede = await api.patch(`/v1/decisions/${replacement.id}`, { supersedesId: replacement.id });
  t.equal(selfSupersede.status, 400, 'a decision cannot supersede itself');
  t.match(selfSupersede.body.errors, [{ path: 'body.supersedesId' }]);
  t.equal((await api.patch(`/v1/decisions/${replacement.id}`, { supersedesId: revokedOne.id })).status, 409, 'it already supersedes one');
  t.equal((await api.patch(`/v1/decisions/${replacement.id}`, { agendaItemId: other.agendaItems[0]!.id })).status, 400);
  t.equal((await api.patch(`/v1/decisions/${replacement.id}`, { supporters: [outsider.id] })).status, 400);
  t.equal((await api.patch(`/v1/decisions/${replacement.id}`, { title: 'x' }, { 'if-match': '"v9"' })).status, 412);
  t.equal((await api.patch(`/v1/decisions/${active.id}`, { title: 'x' })).status, 409, 'a superseded decision is history');
  t.equal((await api.get(`/v1/decisions/${theirDecision.id}`)).status, 404);
  t.equal((await api.patch(`/v1/decisions/${theirDecision.id}`, { title: 'x' })).status, 404);

  t.equal(await api.count('decisions'), decisions, 'no decision written');
  t.equal(await api.count('decision_stances'), stances, 'no stance written');
  t.equal(await api.count('events'), events, 'no event written');
  t.equal((await api.get(`/v1/decisions/${active.id}`)).body.status, 'superseded', 'the superseded one stays as it was');
  t.equal((await theirs.get(`/v1/decisions/${theirDecision.id}`)).body.status, 'active', 'theirs untouched');

  // Two decisions racing to supersede the same one: exactly one wins.
  const contested = (await api.post(`/v1/meetings/${m.id}/decisions`, base)).body;
  const race = await Promise.all([1, 2].map(() => api.post(`/v1/meetings/${m.id}/decisions`, { ...base, supersedesId: contested.id })));
  t.same(race.map((r) => r.status).sort(), [201, 409]);
  t.equal((await eventsOf(api, 'decision.superseded')).filter((e) => e.data.decision.id === contested.id).length, 1);

  // A decision another one can still supersede via PATCH (from the later decision).
  const fresh = (await api.post(`/v1/meetings/${other.id}/decisions`, base)).body;
  const later = (await api.post(`/v1/meetings/${other.id}/decisions`, base)).body;
  const linked = await api.patch(`/v1/decisions/${later.id}`, { supersedesId: fresh.id });
  t.equal(linked.status, 200);
  t.match((await api.get(`/v1/decisions/${fresh.id}`)).body, { status: 'superseded', supersededById: later.id });
});

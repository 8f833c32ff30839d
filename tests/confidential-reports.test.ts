import t from 'tap';
import { buildTestApp, uniq } from './helpers.js';
import { callerWith, newPerson } from './access-helpers.js';

// SPEC §8: a meeting of visibility `participants` and everything in it is absent from search, the
// decision and issue lists and the reports' detail for whoever may not see it, and still counted
// in their figures.
t.test('a confidential meeting: absent from search, lists and report detail, present in the counts', async (t) => {
  const api = await buildTestApp(t);
  const word = uniq('Nightjar').replace(/[^A-Za-z0-9]/g, '');
  const [organizer, participant, outsider] = [await newPerson(api, 'Organizer'), await newPerson(api, 'Participant'), await newPerson(api, 'Outsider')];
  const sponsor = await newPerson(api, 'Sponsor');
  const ini = await api.post('/v1/initiatives', { title: `Initiative ${uniq('i')}`, sponsorId: sponsor.id, ownerId: organizer.id });
  t.equal(ini.status, 201, ini.text);
  const initiativeId = ini.body.id as string;

  const startsAt = new Date(Date.now() + 48 * 3600_000);
  const meeting = async (title: string, visibility: 'organization' | 'participants') => {
    const res = await api.post('/v1/meetings', {
      title, objective: `Objective of ${title}`, startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
      timeZone: 'UTC', initiativeId, organizerId: organizer.id, participants: [{ personId: organizer.id }, { personId: participant.id }], visibility,
    });
    t.equal(res.status, 201, res.text);
    const id = res.body.id as string;
    const item = await api.post(`/v1/meetings/${id}/agenda-items`, { title: `Agenda of ${title}` });
    t.equal(item.status, 201, item.text);
    const material = await api.post(`/v1/meetings/${id}/materials`, { title: `Material of ${title}`, url: 'https://example.com/doc' });
    t.equal(material.status, 201, material.text);
    const decision = await api.post(`/v1/meetings/${id}/decisions`, { title: `Decision of ${title}`, statement: `Statement of ${title}` });
    t.equal(decision.status, 201, decision.text);
    const issue = await api.post(`/v1/meetings/${id}/issues`, { title: `Issue of ${title}`, description: `Raised in ${title}`, ownerId: organizer.id });
    t.equal(issue.status, 201, issue.text);
    return { id, decisionId: decision.body.id as string, issueId: issue.body.id as string };
  };
  const secret = await meeting(`Secret ${word} board`, 'participants');
  const open = await meeting(`Open ${word} sync`, 'organization');
  t.equal((await api.get(`/v1/meetings/${secret.id}`)).body.visibility, 'participants', 'the meeting is confidential');
  // Both meetings held two days ago, so that both reports count them as held.
  const sql = api.database.sql;
  await sql`update meetings set status = 'completed', starts_at = now() - interval '2 days', ends_at = now() - interval '2 days' + interval '1 hour'
    where id in (${secret.id}::uuid, ${open.id}::uuid)`;

  const key = async (body: object) => {
    const res = await api.post('/v1/api-keys', { name: uniq('key'), ...body });
    t.equal(res.status, 201, res.text);
    return callerWith(api, res.body.secret);
  };
  const restricted = {
    'an integration key without confidential': await key({ scopes: ['read', 'write'] }),
    "an unrelated person's key": await key({ scopes: ['read', 'write'], personId: outsider.id }),
  };
  const trusted = {
    "a participant's key": await key({ scopes: ['read', 'write'], personId: participant.id }),
    'an integration key with confidential': await key({ scopes: ['read', 'confidential'] }),
  };
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const to = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const effectivenessUrl = `/v1/reports/effectiveness?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&initiativeId=${initiativeId}`;
  const effectiveness = (await api.get(effectivenessUrl)).body;
  t.match(effectiveness, { meetingsHeld: 2, decisionsPerMeeting: 1, issuesOpened: 2, agendaItemsDiscussed: 0 });
  const reportUrl = `/v1/initiatives/${initiativeId}/report`;
  const counts = { meetingsHeld: 2, meetingsComing: 0, decisionsInForce: 2, issuesOverdue: 0, issuesOpen: 2, issuesResolved: 0 };

  for (const [who, caller] of Object.entries(restricted)) {
    await t.test(who, async (t) => {
      const hits = await caller.get(`/v1/search?q=${word}`);
      t.equal(hits.status, 200, hits.text);
      t.same(new Set(hits.body.data.map((h: { id: string }) => h.id)).has(secret.id), false, 'the meeting is not found');
      t.same(hits.body.data.map((h: { meetingId: string }) => h.meetingId), hits.body.data.map(() => open.id), 'only the open meeting\'s hits');
      t.equal(hits.body.data.length, 4, 'the open meeting, its decision, issue and material');
      t.notOk(hits.text.includes('Secret'), 'no title or snippet of the confidential meeting');
      for (const type of ['meeting', 'decision', 'issue', 'material']) {
        const one = await caller.get(`/v1/search?q=Secret%20${word}&types=${type}`);
        t.same(one.body, { data: [], nextCursor: null }, `no ${type} hit`);
      }
      const decisions = await caller.get(`/v1/decisions?initiativeId=${initiativeId}`);
      t.same(decisions.body.data.map((d: { id: string }) => d.id), [open.decisionId], 'the decision list lacks the confidential decision');
      const issues = await caller.get(`/v1/issues?initiativeId=${initiativeId}`);
      t.same(issues.body.data.map((i: { id: string }) => i.id), [open.issueId], 'the issue list lacks the confidential issue');

      const eff = await caller.get(effectivenessUrl);
      t.same(eff.body, effectiveness, 'the effectiveness report counts the confidential meeting all the same');
      t.notOk(eff.text.includes('Secret'));

      const report = await caller.get(reportUrl);
      t.equal(report.status, 200, report.text);
      t.same(report.body.counts, counts, 'the counts include the confidential meeting and what is in it');
      t.same(report.body.meetings.held.map((m: { id: string }) => m.id), [open.id]);
      t.same(report.body.decisionsInForce.map((d: { id: string }) => d.id), [open.decisionId]);
      t.same(report.body.issues.open.map((i: { id: string }) => i.id), [open.issueId]);
      t.notOk(report.text.includes('Secret'), 'no title of the confidential meeting, its decision or its issue');
      t.notOk(report.text.includes(secret.id));
      const md = await caller.get(reportUrl, { accept: 'text/markdown' });
      t.equal(md.status, 200);
      t.notOk(md.text.includes('Secret'), 'nor in Markdown');
      t.match(md.text, '## Meetings held (showing 1 of 2)');
      t.match(md.text, '## Decisions in force (showing 1 of 2)');
      t.match(md.text, `| Open ${word} sync |`);
    });
  }

  for (const [who, caller] of Object.entries(trusted)) {
    await t.test(who, async (t) => {
      const hits = await caller.get(`/v1/search?q=${word}`);
      t.equal(hits.body.data.length, 8, 'both meetings\' hits');
      t.equal(hits.body.data.filter((h: { meetingId: string }) => h.meetingId === secret.id).length, 4);
      t.ok(hits.body.data.some((h: { snippet: string }) => h.snippet.includes('Secret')));
      const decisions = await caller.get(`/v1/decisions?initiativeId=${initiativeId}`);
      t.same(decisions.body.data.map((d: { id: string }) => d.id).sort(), [secret.decisionId, open.decisionId].sort());
      const issues = await caller.get(`/v1/issues?initiativeId=${initiativeId}`);
      t.same(issues.body.data.map((i: { id: string }) => i.id).sort(), [secret.issueId, open.issueId].sort());
      t.same((await caller.get(effectivenessUrl)).body, effectiveness);
      const report = await caller.get(reportUrl);
      t.same(report.body.counts, counts);
      t.same(report.body.meetings.held.map((m: { id: string }) => m.id).sort(), [secret.id, open.id].sort());
      t.equal(report.body.decisionsInForce.length, 2);
      t.equal(report.body.issues.open.length, 2);
      const md = await caller.get(reportUrl, { accept: 'text/markdown' });
      t.match(md.text, `| Secret ${word} board |`);
      t.match(md.text, `Decision of Secret ${word} board`);
      t.match(md.text, `Issue of Secret ${word} board`);
    });
  }

  // A section whose every line is confidential says so rather than showing an empty table.
  await sql`update decisions set status = 'revoked', revocation_reason = 'test', revoked_at = now() where id = ${open.decisionId}::uuid`;
  const only = await restricted['an integration key without confidential'].get(reportUrl, { accept: 'text/markdown' });
  t.match(only.text, '## Decisions in force (showing 0 of 1)\n\n_None shown._');
  const json = await restricted['an integration key without confidential'].get(reportUrl);
  t.same(json.body.decisionsInForce, []);
  t.equal(json.body.counts.decisionsInForce, 1);
});

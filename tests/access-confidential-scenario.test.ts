import t from 'tap';
import { randomBytes } from 'node:crypto';
import { buildTestApp, type Caller } from './helpers.js';
import { callerWith, newPerson, problem } from './access-helpers.js';
import { inProcessWorker } from './fixtures/webhook-workers.js';
import { startReceiver } from './helpers/webhook-receiver.js';
import { listen, openStream } from './helpers/sse-client.js';

// SPEC §8 end to end: an HR-led confidential meeting with three participants, seen by its
// participants and by an integration key with scope `confidential`, and by nobody else: not an
// unrelated person, not an integration key without the scope, not a webhook or a stream without
// `includeConfidential`, in no list, search, feed, calendar or report (counts aside).

const HEADER = 'liaison-on-behalf-of';

t.test('an HR-led confidential meeting: who sees it, who may do what, and what the record says', async (t) => {
  const api = await buildTestApp(t);
  const base = await listen(api);
  const word = `Zebra${randomBytes(4).toString('hex')}`;
  const [hr, ana, bo, cy, outsider] = await Promise.all(['Hana HR', 'Ana Chair', 'Bo Budget', 'Cy Counsel', 'Olu Outside'].map((n) => newPerson(api, n)));
  const key = async (body: Record<string, unknown>): Promise<Caller & { id: string }> => {
    const res = await api.post('/v1/api-keys', { name: 'scenario', ...body });
    if (res.status !== 201) throw new Error(res.text);
    return Object.assign(callerWith(api, res.body.secret), { id: res.body.id as string });
  };
  const asBo = await key({ scopes: ['read', 'write'], personId: bo.id });
  const asOutsider = await key({ scopes: ['read', 'write'], personId: outsider.id });
  const plain = await key({ scopes: ['read', 'write', 'webhooks'] });
  const cleared = await key({ scopes: ['read', 'confidential'] });
  const assistant = await key({ scopes: ['read', 'write', 'act_as'] });

  // Two webhooks and two streams, with and without includeConfidential.
  const hooks = await Promise.all([false, true].map(async (includeConfidential) => {
    const hook = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['*'], includeConfidential });
    t.equal(hook.status, 201, hook.text);
    const receiver = await startReceiver(hook.body.secret);
    t.teardown(() => receiver.close());
    await api.patch(`/v1/webhooks/${hook.body.id}`, { url: receiver.url });
    return receiver;
  }));
  problem(t, await plain.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['*'], includeConfidential: true }), 403, 'includeConfidential without the scope');
  await inProcessWorker(t, api);
  const [openStreamClient, clearedStream] = await Promise.all([
    openStream(t, base, api.key),
    openStream(t, base, api.key, '/v1/events/stream?includeConfidential=true'),
  ]);
  t.equal(clearedStream.status, 200, 'an admin key opens a stream with includeConfidential');
  const refusedStream = await openStream(t, base, plain.key, '/v1/events/stream?includeConfidential=true');
  t.equal(refusedStream.status, 403, 'a key without the scope may not');

  const sponsor = await newPerson(api, 'Sid Sponsor');
  const initiative = await api.post('/v1/initiatives', { title: 'Reorganisation', sponsorId: sponsor.id, ownerId: hr.id });
  t.equal(initiative.status, 201, initiative.text);
  const created = await api.post('/v1/meetings', {
    title: `${word} headcount review`, visibility: 'participants', initiativeId: initiative.body.id,
    startsAt: '2027-06-07T09:00:00Z', endsAt: '2027-06-07T10:00:00Z', timeZone: 'Europe/Berlin', organizerId: hr.id,
    participants: [{ personId: ana.id, role: 'chair' }, { personId: bo.id }, { personId: cy.id }],
    agendaItems: [{ title: `${word} options`, ownerId: ana.id }, { title: `${word} costs`, ownerId: bo.id }],
  });
  t.equal(created.status, 201, created.text);
  const m = created.body;
  const ordinary = await api.post('/v1/meetings', { title: 'Ordinary sync', initiativeId: initiative.body.id, startsAt: '2027-06-08T09:00:00Z', endsAt: '2027-06-08T10:00:00Z', timeZone: 'Europe/Berlin', participants: [{ personId: bo.id }] });
  t.equal(ordinary.status, 201, ordinary.text);
  const material = await api.post(`/v1/meetings/${m.id}/materials`, { title: `${word} org chart`, url: 'https://example.com/chart.pdf' });
  t.equal(material.status, 201, material.text);
  const issue = await api.post(`/v1/meetings/${m.id}/issues`, { title: `${word} severance terms`, ownerId: cy.id });
  t.equal(issue.status, 201, issue.text);
  for (const id of [m.id, ordinary.body.id]) t.equal((await api.post(`/v1/meetings/${id}/invitations`)).status, 200, 'invitations go out');

  // A participant's key sees it, its agenda and materials; answers for itself only; edits its own items only.
  t.equal((await asBo.get(`/v1/meetings/${m.id}`)).status, 200, 'a participant sees the meeting');
  t.equal((await asBo.get(`/v1/meetings/${m.id}/agenda-items`)).body.data?.length ?? (await asBo.get(`/v1/meetings/${m.id}/agenda-items`)).body.length, 2, 'and its agenda');
  t.match((await asBo.get(`/v1/meetings/${m.id}/materials`)).text, word, 'and its materials');
  t.match((await asBo.get('/v1/meetings?from=2027-06-01T00:00:00Z')).text, word, 'and finds it in the list');
  t.equal((await asBo.put(`/v1/meetings/${m.id}/participants/${bo.id}/response`, { response: 'accepted' })).status, 200, 'RSVPs for itself');
  problem(t, await asBo.put(`/v1/meetings/${m.id}/participants/${cy.id}/response`, { response: 'declined' }), 403, 'RSVP for another participant');
  problem(t, await asBo.patch(`/v1/meetings/${m.id}/agenda-items/${m.agendaItems[0].id}`, { title: 'Taken over' }), 403, "editing the chair's agenda item");
  t.equal((await asBo.patch(`/v1/meetings/${m.id}/agenda-items/${m.agendaItems[1].id}`, { title: `${word} costs, revised` })).status, 200, 'editing its own');

  // On behalf of the chair: the record says who acted.
  const onBehalf = await assistant.patch(`/v1/meetings/${m.id}/agenda-items/${m.agendaItems[0].id}`, { title: `${word} options, ranked` }, { [HEADER]: ana.id });
  t.equal(onBehalf.status, 200, onBehalf.text);
  const audit = await api.get(`/v1/audit-events?entityId=${m.agendaItems[0].id}`);
  t.ok(audit.body.data.some((r: { actor: unknown }) => JSON.stringify(r.actor) === JSON.stringify({ keyId: assistant.id, personId: ana.id })), 'the audit record names the chair and the key');
  problem(t, await assistant.patch(`/v1/meetings/${m.id}/agenda-items/${m.agendaItems[0].id}`, { title: 'x' }), 404, 'acting as itself, the act_as key (no confidential) cannot see it');
  const issueChange = await assistant.patch(`/v1/issues/${issue.body.id}`, { title: `${word} severance terms, drafted` }, { [HEADER]: cy.id });
  t.equal(issueChange.status, 200, issueChange.text);

  // Nobody else sees anything of it.
  const adminReport = await api.get(`/v1/initiatives/${initiative.body.id}/report`);
  const adminEffectiveness = await api.get('/v1/reports/effectiveness?from=2027-06-01T00:00:00Z&to=2027-07-01T00:00:00Z');
  for (const [who, caller] of [['an unrelated person', asOutsider], ['an integration key without confidential', plain]] as const) {
    for (const url of [`/v1/meetings/${m.id}`, `/v1/meetings/${m.id}/agenda-items`, `/v1/materials/${material.body.id}`, `/v1/issues/${issue.body.id}`, `/v1/meetings/${m.id}/calendar.ics`]) {
      problem(t, await caller.get(url), 404, `GET ${url} by ${who}`);
    }
    for (const url of ['/v1/meetings?from=2027-06-01T00:00:00Z', `/v1/search?q=${word}`, '/v1/events?limit=200', '/v1/issues', '/v1/reminders', `/v1/people/${bo.id}/calendar.ics`,
      `/v1/initiatives/${initiative.body.id}/report`, '/v1/reports/effectiveness?from=2027-06-01T00:00:00Z&to=2027-07-01T00:00:00Z']) {
      const res = await caller.get(url);
      t.equal(res.status, 200, `GET ${url} by ${who}: 200`);
      t.notOk(res.text.includes(word), `GET ${url} by ${who} shows nothing of it`);
    }
    const markdown = await caller.get(`/v1/initiatives/${initiative.body.id}/report`, { accept: 'text/markdown' });
    t.notOk(markdown.text.includes(word), `the Markdown leader report by ${who} shows nothing of it`);
    const report = await caller.get(`/v1/initiatives/${initiative.body.id}/report`);
    t.same(report.body.counts ?? report.body.totals ?? null, adminReport.body.counts ?? adminReport.body.totals ?? null, `the leader report's counts by ${who} include it`);
    const effectiveness = await caller.get('/v1/reports/effectiveness?from=2027-06-01T00:00:00Z&to=2027-07-01T00:00:00Z');
    t.same(effectiveness.body.totals ?? effectiveness.body.summary ?? null, adminEffectiveness.body.totals ?? adminEffectiveness.body.summary ?? null, `the effectiveness totals by ${who} include it`);
  }

  // An integration key with `confidential` sees all of it.
  t.equal((await cleared.get(`/v1/meetings/${m.id}`)).status, 200, 'a confidential key sees the meeting');
  t.match((await cleared.get(`/v1/search?q=${word}`)).text, word, 'and finds it by search');
  t.match((await cleared.get(`/v1/initiatives/${initiative.body.id}/report`, { accept: 'text/markdown' })).text, word, 'and in the leader report');

  // Webhooks and streams: the confidential meeting's events reach only those with includeConfidential.
  const [plainGot, clearedGot] = await Promise.all([hooks[0]!.waitFor(1, 15_000), hooks[1]!.waitFor(5, 15_000)]);
  t.ok(clearedGot.every((r) => r.verified), 'deliveries verify with standardwebhooks');
  t.ok(clearedGot.some((r) => r.body.includes(word)), 'the includeConfidential webhook receives the meeting');
  await new Promise((r) => setTimeout(r, 500));
  t.notOk(hooks[0]!.received.some((r) => r.body.includes(word)), `the other webhook receives none of it (${plainGot.length} ordinary deliveries)`);
  t.ok(hooks[0]!.received.some((r) => r.body.includes('Ordinary sync')), 'but it receives the ordinary meeting');
  const hookList = (await plain.get('/v1/webhooks')).body.data as { id: string }[];
  for (const hook of hookList) {
    const deliveries = await plain.get(`/v1/webhooks/${hook.id}/deliveries?limit=200`);
    t.equal(deliveries.status, 200, 'the delivery log reads');
    t.notOk(deliveries.text.includes(word), 'the delivery log shows nothing of it');
  }
  await clearedStream.waitFor(5, 10_000);
  t.ok(clearedStream.frames.some((f) => JSON.stringify(f.data).includes(word)), 'the includeConfidential stream carries it');
  await openStreamClient.waitFor(1, 10_000);
  t.notOk(openStreamClient.frames.some((f) => JSON.stringify(f.data).includes(word)), 'the plain stream does not');
  const event = (await api.get('/v1/events?limit=200')).body.data.find((e: { type: string; actor: { keyId: string; personId: string | null } }) => e.type === 'issue.updated' && e.actor.personId === cy.id);
  t.same(event?.actor, { keyId: assistant.id, personId: cy.id }, 'the event of the write on behalf of the issue owner names the owner and the key');
  problem(t, await plain.get(`/v1/events/${event.id}`), 404, 'and is not there for a key without confidential');
});

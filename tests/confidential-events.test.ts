import t from 'tap';
import type { Test } from 'tap';
import { buildTestApp, type TestApp } from './helpers.js';
import { callerWith, newPerson, problem } from './access-helpers.js';
import { startReceiver } from './helpers/webhook-receiver.js';
import { listen, openStream } from './helpers/sse-client.js';
import { inProcessWorker, sleep } from './fixtures/webhook-workers.js';

async function key(api: TestApp, body: Record<string, unknown>) {
  const res = await api.post('/v1/api-keys', { name: 'confidential-events', ...body });
  if (res.status !== 201) throw new Error(res.text);
  return callerWith(api, res.body.secret);
}

/** An endpoint subscribed to every type, created by the admin key, pointing at a real receiver. */
async function endpoint(t: Test, api: TestApp, extra: Record<string, unknown> = {}) {
  const created = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['*'], ...extra });
  t.equal(created.status, 201, created.text);
  const receiver = await startReceiver(created.body.secret);
  t.teardown(() => receiver.close());
  const patched = await api.patch(`/v1/webhooks/${created.body.id}`, { url: receiver.url });
  t.equal(patched.status, 200, patched.text);
  return { id: created.body.id as string, body: patched.body, receiver };
}

t.test('events about a confidential meeting: webhooks, the log and the stream', async (t) => {
  const api = await buildTestApp(t);
  const base = await listen(api);
  const since = new Date(Date.now() - 1000).toISOString();
  const reader = await key(api, { scopes: ['read', 'write'] });
  const hooksOnly = await key(api, { scopes: ['read', 'webhooks'] });
  const cleared = await key(api, { scopes: ['read', 'confidential'] });

  // Webhooks: includeConfidential is false unless a key with scope confidential sets it.
  const plain = await endpoint(t, api);
  t.equal(plain.body.includeConfidential, false, 'includeConfidential defaults to false');
  const conf = await endpoint(t, api, { includeConfidential: true });
  t.equal(conf.body.includeConfidential, true, 'the admin key may set includeConfidential');
  t.equal((await api.get(`/v1/webhooks/${conf.id}`)).body.includeConfidential, true, 'and GET shows it');
  const before = await api.count('webhooks');
  const refused = await hooksOnly.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['*'], includeConfidential: true });
  problem(t, refused, 403, 'create with includeConfidential without scope confidential');
  t.match(refused.body.detail, /confidential/, 'the problem names the scope');
  t.equal(await api.count('webhooks'), before, 'nothing written');
  const own = await hooksOnly.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['webhook.*'] });
  t.equal(own.status, 201, own.text);
  t.equal(own.body.includeConfidential, false);
  problem(t, await hooksOnly.patch(`/v1/webhooks/${own.body.id}`, { includeConfidential: true }), 403, 'PATCH includeConfidential without scope confidential');
  t.equal((await api.get(`/v1/webhooks/${own.body.id}`)).body.version, 1, 'PATCH refused: nothing written');
  problem(t, await hooksOnly.patch(`/v1/webhooks/${conf.id}`, { url: 'http://127.0.0.1:9/elsewhere' }), 403, 'redirecting a confidential endpoint without the scope');
  t.equal((await hooksOnly.patch(`/v1/webhooks/${conf.id}`, { description: 'renamed' })).status, 200, 'other changes need no scope');
  t.equal((await hooksOnly.patch(`/v1/webhooks/${own.body.id}`, { includeConfidential: false })).status, 200, 'false needs no scope');
  t.equal((await api.del(`/v1/webhooks/${own.body.id}`)).status, 204);

  // Streams: includeConfidential needs the scope, whoever asks.
  const streamPlain = await openStream(t, base, api.key);
  const streamConf = await openStream(t, base, api.key, '/v1/events/stream?includeConfidential=true');
  t.equal(streamPlain.status, 200);
  t.equal(streamConf.status, 200, 'the admin key opens a stream with includeConfidential');
  const refusedStream = await openStream(t, base, reader.key, '/v1/events/stream?includeConfidential=true');
  t.equal(refusedStream.status, 403, 'a key without scope confidential may not');
  await inProcessWorker(t, api);

  const insider = await newPerson(api, 'Ina Insider');
  const outsider = await newPerson(api, 'Otto Outsider');
  const insiderKey = await key(api, { scopes: ['read'], personId: insider.id });
  const outsiderKey = await key(api, { scopes: ['read'], personId: outsider.id });
  const meeting = (title: string, extra: Record<string, unknown> = {}) =>
    api.post('/v1/meetings', { title, startsAt: '2027-06-07T09:00:00Z', endsAt: '2027-06-07T10:00:00Z', timeZone: 'Europe/Berlin', participants: [{ personId: insider.id }], ...extra });
  const secret = await meeting('Headcount review', { visibility: 'participants' });
  t.equal(secret.status, 201, secret.text);
  if (secret.body.visibility !== 'participants') {
    t.comment('POST /v1/meetings ignored visibility: set in the database');
    await api.database.sql`update meetings set visibility = 'participants' where id = ${secret.body.id}`;
  }
  const ordinary = await meeting('Ordinary sync');
  t.equal(ordinary.status, 201, ordinary.text);

  for (const m of [secret.body, ordinary.body]) {
    const invited = await api.post(`/v1/meetings/${m.id}/invitations`, {});
    t.equal(invited.status, 200, invited.text);
    const patched = await api.patch(`/v1/meetings/${m.id}`, { title: `${m.title} (moved)` });
    t.equal(patched.status, 200, patched.text);
    const item = await api.post(`/v1/meetings/${m.id}/agenda-items`, { title: 'Options' });
    t.equal(item.status, 201, item.text);
    const issue = await api.post(`/v1/meetings/${m.id}/issues`, { title: 'Open question', ownerId: insider.id });
    t.equal(issue.status, 201, issue.text);
    const material = await api.post(`/v1/meetings/${m.id}/materials`, { title: 'Pre-read', url: 'https://example.com/pre-read.pdf' });
    t.equal(material.status, 201, material.text);
  }

  const log = (await api.get('/v1/events?limit=200')).body.data as { id: string; type: string; data: unknown }[];
  const about = (id: string) => log.filter((e) => JSON.stringify(e.data).includes(id)).map((e) => e.id);
  const confidentialIds = about(secret.body.id);
  const ordinaryIds = about(ordinary.body.id);
  t.ok(confidentialIds.length >= 4, `events about the confidential meeting: ${log.filter((e) => confidentialIds.includes(e.id)).map((e) => e.type).join(', ')}`);
  t.ok(ordinaryIds.length >= 4, 'and about the ordinary one');
  t.equal(confidentialIds.length, ordinaryIds.length, 'the same changes, the same events');
  t.same(log.map((e) => e.id).sort(), [...confidentialIds, ...ordinaryIds].sort(), 'the log holds these events only');
  const marked = await api.database.sql<{ id: string; confidential_meeting_id: string | null }[]>`
    select id, confidential_meeting_id from events where organization_id = ${api.organizationId}`;
  for (const r of marked) {
    t.equal(r.confidential_meeting_id, confidentialIds.includes(r.id) ? secret.body.id : null, `confidential_meeting_id of ${r.id}`);
  }

  // Webhooks: the plain endpoint receives the ordinary meeting's events only, the other both.
  const allIds = log.map((e) => e.id);
  const gotConf = await conf.receiver.waitFor(allIds.length, 15_000);
  const gotPlain = await plain.receiver.waitFor(ordinaryIds.length, 15_000);
  await sleep(500);
  t.same(new Set(gotConf.map((r) => r.id)), new Set(allIds), 'includeConfidential: every event');
  t.same(new Set(plain.receiver.received.map((r) => r.id)), new Set(ordinaryIds), 'without it: the ordinary meeting only');
  t.equal(gotPlain.length, plain.receiver.received.length);
  t.ok(gotConf.every((r) => r.verified));
  t.equal(
    (await api.get(`/v1/webhooks/${plain.id}/deliveries?limit=200`)).body.data.length,
    ordinaryIds.length,
    'no delivery, not even a skipped one, of a confidential event for the plain endpoint',
  );

  // A replay of everything queues the ordinary events only.
  const replay = await api.post(`/v1/webhooks/${plain.id}/replay`, { since, all: true });
  t.equal(replay.status, 202, replay.text);
  t.same(replay.body, { queued: ordinaryIds.length, capped: false }, 'replay leaves confidential events out');
  await plain.receiver.waitFor(2 * ordinaryIds.length, 15_000);
  await sleep(300);
  t.ok(plain.receiver.received.every((r) => ordinaryIds.includes(r.id!)), 'replayed: still no confidential event');
  const replayConf = await api.post(`/v1/webhooks/${conf.id}/replay`, { since, all: true });
  t.same(replayConf.body, { queued: allIds.length, capped: false }, 'the confidential endpoint replays every event');

  // The log: who sees what.
  const ids = async (caller: typeof reader) => {
    const res = await caller.get('/v1/events?limit=200');
    t.equal(res.status, 200, res.text);
    return (res.body.data as { id: string }[]).map((e) => e.id);
  };
  t.same(await ids(reader), ordinaryIds, 'a read-only integration key: the ordinary events only');
  t.same(await ids(outsiderKey), ordinaryIds, 'a person who does not take part: the same');
  t.same(await ids(insiderKey), allIds, 'a participant: every event');
  t.same(await ids(cleared), allIds, 'scope confidential: every event');
  problem(t, await reader.get(`/v1/events/${confidentialIds[0]}`), 404, 'a confidential event by id');
  t.equal((await reader.get(`/v1/events/${ordinaryIds[0]}`)).status, 200, 'an ordinary one');
  t.equal((await insiderKey.get(`/v1/events/${confidentialIds[0]}`)).status, 200, 'a participant gets the confidential one');
  problem(t, await reader.get(`/v1/events?after=${confidentialIds[0]}`), 400, '`after` a confidential event names no event');
  // Paging with a small limit keeps the keyset order and skips nothing visible.
  const paged: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await reader.get(`/v1/events?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    t.equal(res.status, 200, res.text);
    paged.push(...res.body.data.map((e: { id: string }) => e.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  t.same(paged, ordinaryIds, 'pages of one: the ordinary events in order');

  // The stream.
  t.same((await streamConf.waitFor(allIds.length)).map((f) => f.id), allIds, 'includeConfidential: every event, in log order');
  t.same((await streamPlain.waitFor(ordinaryIds.length)).map((f) => f.id), ordinaryIds, 'without it (even the admin key): ordinary only');
  await sleep(300);
  t.equal(streamPlain.frames.length, ordinaryIds.length, 'nothing confidential arrived later');
  const resumed = await openStream(t, base, api.key, '/v1/events/stream', { 'last-event-id': confidentialIds[0]! });
  t.equal(resumed.status, 400, 'a stream without includeConfidential cannot resume after a confidential event');
  const resumedConf = await openStream(t, base, api.key, '/v1/events/stream?includeConfidential=true', { 'last-event-id': allIds[0]! });
  t.same((await resumedConf.waitFor(allIds.length - 1)).map((f) => f.id), allIds.slice(1), 'resumed with includeConfidential');
  const byPerson = await openStream(t, base, insiderKey.key, '/v1/events/stream?includeConfidential=true');
  t.equal(byPerson.status, 403, 'a person-bound key may not ask for includeConfidential');
});

t.test('turning includeConfidential off skips what is still queued about confidential meetings', async (t) => {
  const api = await buildTestApp(t);
  const conf = await endpoint(t, api, { includeConfidential: true });
  const person = await newPerson(api, 'Quinn Quiet');
  const m = await api.post('/v1/meetings', {
    title: 'Quiet', visibility: 'participants', startsAt: '2027-06-07T09:00:00Z', endsAt: '2027-06-07T10:00:00Z', timeZone: 'Europe/Berlin', participants: [{ personId: person.id }],
  });
  t.equal(m.status, 201, m.text);
  if (m.body.visibility !== 'participants') await api.database.sql`update meetings set visibility = 'participants' where id = ${m.body.id}`;
  t.equal((await api.post(`/v1/meetings/${m.body.id}/invitations`, {})).status, 200);
  const queued = (await api.get(`/v1/webhooks/${conf.id}/deliveries`)).body.data;
  t.equal(queued.length, 1, 'queued while no worker runs');
  t.equal(queued[0].status, 'pending');
  const off = await api.patch(`/v1/webhooks/${conf.id}`, { includeConfidential: false });
  t.equal(off.status, 200, off.text);
  t.equal(off.body.includeConfidential, false);
  t.equal((await api.get(`/v1/webhooks/${conf.id}/deliveries`)).body.data[0].status, 'skipped', 'skipped');
  await inProcessWorker(t, api);
  await sleep(500);
  t.equal(conf.receiver.received.length, 0, 'never sent');
  const replay = await api.post(`/v1/webhooks/${conf.id}/replay`, { since: new Date(Date.now() - 60_000).toISOString() });
  t.same(replay.body, { queued: 0, capped: false }, 'and not replayed');
});

t.test('a meeting made confidential later takes its earlier events with it, and gives them back when it is open again', async (t) => {
  const api = await buildTestApp(t);
  const reader = await key(api, { scopes: ['read'] });
  const organizer = await newPerson(api, 'Rhea Organizer');
  // No worker runs here: what the endpoints are sent stays queued.
  const plain = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/plain', eventTypes: ['meeting.*'] });
  const cleared = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/cleared', eventTypes: ['meeting.*'], includeConfidential: true });
  t.equal(plain.status + cleared.status, 402, `${plain.text} ${cleared.text}`);
  type Delivery = { id: string; eventId: string; status: string };
  const deliveries = async (hook: string) => (await api.get(`/v1/webhooks/${hook}/deliveries?limit=100`)).body.data as Delivery[];
  const other = await api.post('/v1/meetings', {
    title: 'Canteen menu', organizerId: organizer.id, startsAt: '2027-04-02T09:00:00Z', endsAt: '2027-04-02T10:00:00Z', timeZone: 'UTC',
  });
  const created = await api.post('/v1/meetings', {
    title: 'Wombat restructuring', organizerId: organizer.id, startsAt: '2027-04-01T09:00:00Z', endsAt: '2027-04-01T10:00:00Z', timeZone: 'UTC',
    participants: [{ personId: organizer.id }], agendaItems: [{ title: 'Options', kind: 'discussion', durationMinutes: 15 }],
  });
  t.equal(created.status, 201, created.text);
  const id = created.body.id as string;
  t.equal((await api.post(`/v1/meetings/${id}/invitations`, {})).status, 200);
  t.equal((await api.post(`/v1/meetings/${other.body.id}/invitations`, {})).status, 200);
  t.equal((await api.patch(`/v1/meetings/${id}`, { location: 'Room 4' })).status, 200);
  const about = <E extends { id: string; data: unknown }>(log: E[]) => log.filter((e) => JSON.stringify(e.data).includes(id));
  const logOf = async (caller: typeof reader | TestApp) => (await caller.get('/v1/events?limit=200')).body.data as { id: string; type: string; data: unknown }[];

  const earlier = about(await logOf(reader));
  t.ok(earlier.length >= 2, `while open, the reader sees the meeting's events (${earlier.map((e) => e.type).join(', ')})`);

  const queued = (await deliveries(plain.body.id)).filter((d) => earlier.some((e) => e.id === d.eventId));
  t.same(queued.map((d) => d.status), earlier.map(() => 'pending'), 'the plain endpoint has the earlier events queued');

  const hidden = await api.patch(`/v1/meetings/${id}`, { visibility: 'participants' });
  t.equal(hidden.status, 200, hidden.text);
  const afterwards = await deliveries(plain.body.id);
  for (const d of queued) t.equal(afterwards.find((a) => a.id === d.id)?.status, 'skipped', 'what was still queued to the plain endpoint is skipped');
  const retried = await api.post(`/v1/webhooks/${plain.body.id}/deliveries/${queued[0]!.id}/retry`, {});
  problem(t, retried, 409, 'a manual retry of it to the plain endpoint');
  t.match(retried.body.detail, /confidential/, 'the refusal says why');
  t.equal((await deliveries(plain.body.id)).find((a) => a.id === queued[0]!.id)?.status, 'skipped', 'and it stays skipped');
  const toCleared = (await deliveries(cleared.body.id)).filter((d) => earlier.some((e) => e.id === d.eventId));
  t.same(toCleared.map((d) => d.status), earlier.map(() => 'pending'), 'an endpoint with includeConfidential keeps them queued');
  const readerLog = await logOf(reader);
  const otherEvents = readerLog.filter((e) => JSON.stringify(e.data).includes(other.body.id));
  const toPlain = await deliveries(plain.body.id);
  t.ok(otherEvents.length > 0 && otherEvents.every((e) => toPlain.find((d) => d.eventId === e.id)?.status === 'pending'), 'another meeting\'s deliveries stay queued');
  t.same(about(readerLog), [], 'made confidential, none of its events is in the reader\'s log');
  t.notMatch(JSON.stringify(readerLog), /Wombat/, 'nor its title anywhere in the log');
  t.ok(readerLog.some((e) => JSON.stringify(e.data).includes(other.body.id)), 'another meeting\'s events stay');
  for (const e of earlier) problem(t, await reader.get(`/v1/events/${e.id}`), 404, `${e.type} by id`);
  const adminLog = about(await logOf(api));
  t.ok(earlier.every((e) => adminLog.some((a) => a.id === e.id)), 'the admin key still sees every earlier event');
  t.ok(adminLog.some((e) => e.type === 'meeting.updated'), 'and the change itself');

  const open = await api.patch(`/v1/meetings/${id}`, { visibility: 'organization' });
  t.equal(open.status, 200, open.text);
  const again = about(await logOf(reader));
  t.ok(earlier.every((e) => again.some((a) => a.id === e.id)), 'open again, the reader sees the earlier events again');
  t.equal(again.length, adminLog.length + 1, 'and the two changes of visibility');
});

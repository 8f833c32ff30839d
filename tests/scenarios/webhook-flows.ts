import type { Test } from 'tap';
import { uniq, type TestApp } from '../helpers.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { inProcessWorker } from '../fixtures/webhook-workers.js';
import { eventCatalogue } from '../../src/events/catalogue.js';

// Webhook flows end to end: an event committed through the API reaches a real receiver, signed
// (verified with the standardwebhooks package) and in full. They take the app, so that the same
// flows run directly (webhooks-flows.test.ts) and through PgBouncer (pgbouncer.test.ts).

/** The invitation flow arrives signed, in full and verifiable. */
export async function invitationFlowScenario(t: Test, api: TestApp): Promise<void> {
  const hook = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['meeting.*'] });
  t.equal(hook.status, 201);
  const receiver = await startReceiver(hook.body.secret);
  t.teardown(() => receiver.close());
  await api.patch(`/v1/webhooks/${hook.body.id}`, { url: receiver.url });
  await inProcessWorker(t, api);

  const chair = await api.post('/v1/people', { name: 'Mei Chen', email: `${uniq('mei')}@example.com` });
  const guest = await api.post('/v1/people', { name: 'Jonas Berg', email: `${uniq('jonas')}@example.com` });
  t.equal(chair.status, 201);
  const meeting = await api.post('/v1/meetings', {
    title: 'Cross-department planning',
    startsAt: '2030-03-02T09:00:00Z',
    endsAt: '2030-03-02T10:00:00Z',
    timeZone: 'Europe/Berlin',
    organizerId: chair.body.id,
    participants: [{ personId: chair.body.id, role: 'chair' }, { personId: guest.body.id }],
    agendaItems: [{ title: 'Launch date' }],
  });
  t.equal(meeting.status, 201);
  const sent = await api.post(`/v1/meetings/${meeting.body.id}/invitations`);
  t.equal(sent.status, 200);

  const got = await receiver.waitFor(1, 5_000);
  const invitation = got.find((r) => (r.parsed as { type: string }).type === 'meeting.invitation.sent')!;
  t.ok(invitation, 'meeting.invitation.sent arrived');
  t.equal(invitation.verified, true, 'verifies with standardwebhooks');
  const event = (await api.get(`/v1/events/${invitation.id}`)).body;
  t.same(invitation.parsed, { type: event.type, timestamp: event.timestamp, data: event.data, actor: event.actor }, 'the body is the logged event, in full');
  const data = (invitation.parsed as { data: Record<string, any> }).data; // eslint-disable-line @typescript-eslint/no-explicit-any
  t.match(data, { meeting: { id: meeting.body.id, status: 'scheduled', version: Number, agendaItems: [{ title: 'Launch date' }] } });
  t.same(data.meeting.participants.map((p: { personId: string }) => p.personId).sort(), [chair.body.id, guest.body.id].sort(), 'with its participants');
  t.match(data.ics, /METHOD:REQUEST/);
  const def = eventCatalogue.find((d) => d.type === 'meeting.invitation.sent')!;
  t.ok(def.data.safeParse(data).success, 'the payload matches the catalogue schema');
}

/** The minutes flow arrives signed, with the whole revision. */
export async function minutesFlowScenario(t: Test, api: TestApp): Promise<void> {
  const hook = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['minutes.published'] });
  const receiver = await startReceiver(hook.body.secret);
  t.teardown(() => receiver.close());
  await api.patch(`/v1/webhooks/${hook.body.id}`, { url: receiver.url });
  await inProcessWorker(t, api);

  const chair = await api.post('/v1/people', { name: 'Ada Park', email: `${uniq('ada')}@example.com` });
  const meeting = await api.post('/v1/meetings', {
    title: 'Budget alignment', startsAt: '2030-04-02T09:00:00Z', endsAt: '2030-04-02T10:00:00Z', timeZone: 'UTC',
    participants: [{ personId: chair.body.id, role: 'chair' }],
  });
  const id = meeting.body.id as string;
  t.equal((await api.post(`/v1/meetings/${id}/invitations`)).status, 200);
  t.equal((await api.post(`/v1/meetings/${id}/start`)).status, 200);
  const draft = await api.put(`/v1/meetings/${id}/minutes`, { summary: '# Agreed\nShip in May.', attendance: [{ personId: chair.body.id, present: true }] });
  t.equal(draft.status, 200);
  const published = await api.post(`/v1/meetings/${id}/minutes/publish`);
  t.equal(published.status, 201);

  const [got] = await receiver.waitFor(1, 5_000);
  t.equal(got!.verified, true);
  t.match(got!.parsed, { type: 'minutes.published', data: { summary: '# Agreed\nShip in May.' } });
  const event = (await api.get(`/v1/events/${got!.id}`)).body;
  t.same(got!.parsed, { type: event.type, timestamp: event.timestamp, data: event.data, actor: event.actor }, 'the whole logged revision');
  const def = eventCatalogue.find((d) => d.type === 'minutes.published')!;
  t.ok(def.data.safeParse(event.data).success, 'the payload matches the catalogue schema');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(receiver.received.length, 1, 'only the subscribed type arrived');
}

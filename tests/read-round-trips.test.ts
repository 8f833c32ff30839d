import t, { type Test } from 'tap';
import { buildTestApp, type Caller, type TestApp } from './helpers.js';
import { callerWith, newPerson } from './access-helpers.js';
import { trafficOf } from './traffic.js';

// SPEC §8 costs a request no extra round trip where the route's own query can carry the
// viewer's visibility (`visibilityInQuery`), and at most one statement otherwise: whether the
// path's meeting is hidden and what the person is to it are asked together.

async function key(api: TestApp, body: Record<string, unknown>): Promise<Caller> {
  const res = await api.post('/v1/api-keys', { name: 'round trips', scopes: ['read', 'write'], ...body });
  if (res.status !== 201) throw new Error(res.text);
  return callerWith(api, res.body.secret);
}

/** A confidential meeting organised by `organizerId`, with `ownerId` taking part and owning its one agenda item. */
async function confidentialMeeting(t: Test, api: TestApp, title: string, organizerId: string, ownerId: string) {
  const meeting = await api.post('/v1/meetings', {
    title, visibility: 'participants', organizerId,
    startsAt: '2027-02-01T09:00:00Z', endsAt: '2027-02-01T10:00:00Z', timeZone: 'UTC',
    participants: [{ personId: ownerId }],
    agendaItems: [{ title: 'Options', kind: 'discussion', durationMinutes: 20, ownerId }],
  });
  t.equal(meeting.status, 201, meeting.text);
  return meeting.body as { id: string; agendaItems: { id: string }[] };
}

t.test('the meeting detail is one statement for every kind of principal, seen or hidden', async (t) => {
  const api = await buildTestApp(t);
  const organizer = await newPerson(api, 'Hana Organizer');
  const participant = await newPerson(api, 'Paul Participant');
  const outsider = await newPerson(api, 'Olga Outsider');
  const { id } = await confidentialMeeting(t, api, 'HR: reorganisation', organizer.id, participant.id);
  const open = await api.post('/v1/meetings', {
    title: 'Quarter plan', organizerId: organizer.id, startsAt: '2027-02-02T09:00:00Z', endsAt: '2027-02-02T10:00:00Z', timeZone: 'UTC',
  });
  t.equal(open.status, 201, open.text);
  const principals: [string, Caller, number][] = [
    ['the admin key', api, 200],
    ['a key with scope confidential', await key(api, { scopes: ['read', 'confidential'] }), 200],
    ['an integration key without confidential', await key(api, { scopes: ['read'] }), 404],
    ["a participant's key", await key(api, { personId: participant.id }), 200],
    ["an unrelated person's key", await key(api, { personId: outsider.id }), 404],
  ];
  // Every pooled connection prepares each statement once (a statement not yet prepared is
  // described first), and the first read renders the detail into the cache.
  const reads: [string, string, (status: number) => number][] = [
    ['the confidential meeting', id, (status) => status],
    ['a meeting of the organisation', open.body.id, () => 200],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [, caller] of principals) {
      for (const [, meetingId] of reads) await Promise.all(Array.from({ length: 8 }, () => caller.get(`/v1/meetings/${meetingId}`)));
    }
  }
  for (const [what, meetingId, expected] of reads) {
    for (const [who, caller, status] of principals) {
      const traffic = await trafficOf(t, api, () => caller.get(`/v1/meetings/${meetingId}`), expected(status));
      t.equal(traffic.roundTrips, 1, `${what} read by ${who}: one round trip (${traffic.statements.join(' | ')})`);
      t.equal(traffic.statements.length, 1, `${what} read by ${who}: one statement`);
    }
  }
});

t.test("a person's write under an owner rule asks the database one statement more than the admin key's, not two", async (t) => {
  const api = await buildTestApp(t);
  const owner = await newPerson(api, 'Olu Owner');
  const meeting = await confidentialMeeting(t, api, 'Budget: cut options', owner.id, owner.id);
  const path = `/v1/meetings/${meeting.id}/agenda-items/${meeting.agendaItems[0]!.id}`;
  const ownersKey = await key(api, { personId: owner.id });
  let n = 0;
  const patch = (caller: Caller) => () => caller.patch(path, { durationMinutes: 20 + (++n % 40) });
  // Every pooled connection prepares each statement once, as above.
  for (let round = 0; round < 2; round++) {
    for (const caller of [api, ownersKey]) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => patch(caller)()));
      t.same(answers.map((a) => a.status), Array(8).fill(200), 'warming up');
    }
  }
  const admin = await trafficOf(t, api, patch(api), 200);
  const person = await trafficOf(t, api, patch(ownersKey), 200);
  const seen = `admin: ${admin.statements.join(' | ')}\nperson: ${person.statements.join(' | ')}`;
  t.equal(person.statements.length, admin.statements.length + 1, `the person's visibility and ownership are one statement\n${seen}`);
  t.equal(person.roundTrips, admin.roundTrips + 1, 'and one round trip');
});

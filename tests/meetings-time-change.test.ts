import t from 'tap';
import { buildTestApp, type Caller } from './helpers.js';
import { eventsOf, meetingInput, parseIcs, person } from './meetings-helpers.js';

// Moving a scheduled meeting's time asks every attendee again (iTIP; RFC 6638 §3.2.8): each
// answer except the organizer's returns to `needs_action`, in the transaction that moves it.

const DAY = 24 * 3600 * 1000;
const at = (d: Date) => d.toISOString();
const plus = (iso: string, ms: number) => at(new Date(new Date(iso).getTime() + ms));

async function answers(api: Caller, meetingId: string): Promise<Record<string, { response: string; respondedAt: string | null; version: number }>> {
  const res = await api.get(`/v1/meetings/${meetingId}`);
  if (res.status !== 200) throw new Error(`meeting: ${res.status} ${res.text}`);
  return Object.fromEntries(res.body.participants.map((p: { personId: string; response: string; respondedAt: string | null; version: number }) => [p.personId, p]));
}

async function rsvp(api: Caller, meetingId: string, personId: string, response: string) {
  const res = await api.put(`/v1/meetings/${meetingId}/participants/${personId}/response`, { response });
  if (res.status !== 200) throw new Error(`rsvp: ${res.status} ${res.text}`);
}

t.test('a scheduled meeting moved in time asks everyone but the organizer again', async (t) => {
  const api = await buildTestApp(t);
  const [org, bo, cy, dee, eve] = [await person(api, 'Ana'), await person(api, 'Bo'), await person(api, 'Cy'), await person(api, 'Dee'), await person(api, 'Eve')];
  const input = meetingInput({
    organizerId: org.id,
    participants: [{ personId: org.id, role: 'chair' }, { personId: bo.id }, { personId: cy.id }, { personId: dee.id, role: 'optional' }, { personId: eve.id }],
  });
  const m = (await api.post('/v1/meetings', input)).body;
  t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  await rsvp(api, m.id, org.id, 'accepted');
  await rsvp(api, m.id, bo.id, 'accepted');
  await rsvp(api, m.id, cy.id, 'declined');
  await rsvp(api, m.id, dee.id, 'tentative');
  const answered = await answers(api, m.id);

  // Neither a new title nor a new place changes when the meeting is: the answers stand.
  t.equal((await api.patch(`/v1/meetings/${m.id}`, { title: 'Renamed' })).status, 200);
  t.match((await api.patch(`/v1/meetings/${m.id}`, { location: 'Room 9' })).body, { sequence: 1 });
  t.same(await answers(api, m.id), answered, 'title and location changes keep every answer');

  const moved = await api.patch(`/v1/meetings/${m.id}`, { startsAt: plus(input.startsAt, 3600e3) });
  t.equal(moved.status, 200, moved.text);
  t.match(moved.body, { sequence: 2, startsAt: plus(input.startsAt, 3600e3) });
  const after = await answers(api, m.id);
  t.match(after[org.id], { response: 'accepted', respondedAt: answered[org.id]!.respondedAt, version: answered[org.id]!.version }, 'the organizer keeps the answer');
  for (const p of [bo, cy, dee]) {
    t.match(after[p.id], { response: 'needs_action', respondedAt: null, version: answered[p.id]!.version + 1 }, `${p.name} is asked again`);
  }
  t.same(after[eve.id], answered[eve.id], 'an attendee who had not answered is untouched');

  const updates = await eventsOf(api, 'meeting.updated', 3);
  t.equal(updates.length, 3);
  t.same(updates[0].data.responsesReset, [], 'the title change reset nothing');
  t.same(updates[1].data.responsesReset, [], 'the location change reset nothing');
  const reset = updates[2].data.responsesReset as { meetingId: string; personId: string; previousResponse: string }[];
  t.same(
    [...reset].sort((a, b) => a.personId.localeCompare(b.personId)),
    [
      { meetingId: m.id, personId: bo.id, previousResponse: 'accepted' },
      { meetingId: m.id, personId: cy.id, previousResponse: 'declined' },
      { meetingId: m.id, personId: dee.id, previousResponse: 'tentative' },
    ].sort((a, b) => a.personId.localeCompare(b.personId)),
    'meeting.updated lists the answers that were reset, with what they were',
  );
  const invite = parseIcs(updates[2].data.ics).events[0]!;
  t.equal(invite.sequence, 2);
  for (const p of [bo, cy, dee, eve]) {
    t.match(invite.attendees.find((a) => a.email === p.email.toLowerCase()), { partstat: 'NEEDS-ACTION' }, `the REQUEST asks ${p.name} again`);
  }
  t.match(updates[2].data.ics, /ATTENDEE;[^\r\n]*RSVP=TRUE/, 'and asks for a reply');

  // Nobody answered: the reset is no `participant.responded`; it is audited like an answer.
  t.equal((await eventsOf(api, 'participant.responded', 4)).length, 4, 'only the four real answers');
  const audit = (await api.get(`/v1/audit-events?entityType=meeting_participant&entityId=${m.id}&limit=200`)).body.data as { action: string; changes: Record<string, { before: unknown; after: unknown }> }[];
  const resets = audit.filter((a) => a.action === 'update' && a.changes.response?.after === 'needs_action');
  t.same(resets.map((a) => a.changes.response!.before).sort(), ['accepted', 'declined', 'tentative'], 'one audit record per reset answer');

  // The answer to the new time is an answer like any other; a change of the end alone moves the meeting too.
  await rsvp(api, m.id, bo.id, 'accepted');
  const [, , , , bosAnswer] = await eventsOf(api, 'participant.responded', 5);
  t.match(bosAnswer.data, { participant: { personId: bo.id, response: 'accepted' }, previousResponse: 'needs_action' });
  t.equal((await api.patch(`/v1/meetings/${m.id}`, { endsAt: plus(input.endsAt, 2 * 3600e3) })).status, 200);
  t.match((await answers(api, m.id))[bo.id], { response: 'needs_action' }, 'a longer meeting is a new time as well');
  t.match((await answers(api, m.id))[org.id], { response: 'accepted' });
});

t.test('a draft moved in time, or a refused move, keeps the answers', async (t) => {
  const api = await buildTestApp(t);
  const [org, bo] = [await person(api, 'Ana'), await person(api, 'Bo')];
  const input = meetingInput({ organizerId: org.id, participants: [{ personId: bo.id }] });
  const draft = (await api.post('/v1/meetings', input)).body;
  await rsvp(api, draft.id, bo.id, 'accepted');
  t.equal((await api.patch(`/v1/meetings/${draft.id}`, { startsAt: plus(input.startsAt, 3600e3) })).status, 200);
  t.match((await answers(api, draft.id))[bo.id], { response: 'accepted' }, 'nobody was invited to the old time of a draft');
  t.equal((await eventsOf(api, 'meeting.updated', 0)).length, 0);

  await api.post(`/v1/meetings/${draft.id}/invitations`);
  const refused = await api.patch(`/v1/meetings/${draft.id}`, { startsAt: plus(input.startsAt, 2 * 3600e3), organizerId: '00000000-0000-4000-8000-000000000000' });
  t.equal(refused.status, 400, 'an unknown organizer refuses the whole change');
  t.match((await answers(api, draft.id))[bo.id], { response: 'accepted' }, 'a refused change resets nothing');
});

/** A Monday 10:00 UTC at least two days ahead. */
function nextMonday(): Date {
  const d = new Date(Date.now() + 2 * DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setTime(d.getTime() + DAY);
  return d;
}

t.test('series: moving one occurrence asks again for it alone; moving the series, for every occurrence it moves', async (t) => {
  const api = await buildTestApp(t);
  const [org, bo] = [await person(api, 'Ana'), await person(api, 'Bo')];
  const start = nextMonday();
  const created = await api.post('/v1/meetings', meetingInput({
    startsAt: at(start), endsAt: at(new Date(start.getTime() + 3600e3)), timeZone: 'UTC', recurrence: 'FREQ=WEEKLY;COUNT=3', organizerId: org.id,
    participants: [{ personId: org.id, role: 'chair' }, { personId: bo.id }],
  }));
  t.equal(created.status, 201, created.text);
  const occurrences = (await api.get(`/v1/meetings?seriesId=${created.body.seriesId}`)).body.data as { id: string; startsAt: string }[];
  t.equal(occurrences.length, 3);
  const [first, second, third] = occurrences.map((o) => o.id) as [string, string, string];
  t.equal((await api.post(`/v1/meetings/${first}/invitations`)).status, 200);
  for (const id of [first, second, third]) {
    await rsvp(api, id, org.id, 'accepted');
    await rsvp(api, id, bo.id, 'accepted');
  }

  t.equal((await api.patch(`/v1/meetings/${second}`, { startsAt: plus(occurrences[1]!.startsAt, 30 * 60e3) })).status, 200);
  t.match((await answers(api, second))[bo.id], { response: 'needs_action' }, 'the moved occurrence asks again');
  t.match((await answers(api, first))[bo.id], { response: 'accepted' }, 'the other occurrences keep their answers');
  t.match((await answers(api, third))[bo.id], { response: 'accepted' });

  const series = await api.patch(`/v1/meetings/${first}?scope=series`, { startsAt: plus(occurrences[0]!.startsAt, 3600e3) });
  t.equal(series.status, 200, series.text);
  for (const id of [first, second, third]) {
    t.match(await answers(api, id), { [bo.id]: { response: 'needs_action' }, [org.id]: { response: 'accepted' } }, 'every moved occurrence asks again, the organizer aside');
  }
  const [, seriesUpdate] = await eventsOf(api, 'meeting.updated', 2);
  t.equal(seriesUpdate.data.scope, 'series');
  t.same(
    [...seriesUpdate.data.responsesReset].map((r: { meetingId: string }) => r.meetingId).sort(),
    [first, third].sort(),
    'the answers reset, per occurrence (the second had been reset already)',
  );
  t.ok(seriesUpdate.data.responsesReset.every((r: { personId: string; previousResponse: string }) => r.personId === bo.id && r.previousResponse === 'accepted'));
});

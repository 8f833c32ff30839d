import type { Test } from 'tap';
import type { TestApp } from '../helpers.js';
import { crossDepartmentCast, eventsOf, parseIcs, person } from '../meetings-helpers.js';
import { meetingEventTypes } from '../../src/meetings/events.js';

// The end-to-end walk: a weekly cross-department series from first draft to one cancelled
// occurrence, checking the event log and the calendars at each step (materials are covered by
// the materials module's tests). It takes the app, so that the same walk runs directly
// (meetings-scenario.test.ts) and through PgBouncer (pgbouncer.test.ts).
export async function weeklySeriesScenario(t: Test, api: TestApp): Promise<void> {
  const { sales, ops, finance, chair, notes, presenter, sales2 } = await crossDepartmentCast(api);
  const optional = await person(api, 'Olga Ivanova', ops);

  // 2031-03-03 is a Monday; 10:00 in Berlin is 09:00Z until DST starts on 2031-03-30.
  const created = await api.post('/v1/meetings', {
    title: 'Launch coordination',
    objective: 'Agree the Q2 launch plan across sales, operations and finance',
    startsAt: '2031-03-03T09:00:00.000Z',
    endsAt: '2031-03-03T10:00:00.000Z',
    timeZone: 'Europe/Berlin',
    location: 'HQ 4.12',
    onlineUrl: 'https://meet.example.com/launch',
    organizerId: chair.id,
    recurrence: 'FREQ=WEEKLY;BYDAY=MO;COUNT=8',
    participants: [
      { personId: chair.id, role: 'chair' },
      { personId: notes.id, role: 'note_taker' },
      { personId: presenter.id, role: 'presenter' },
      { personId: sales2.id },
      { personId: optional.id, role: 'optional' },
    ],
    agendaItems: [
      { title: 'Goals and metrics', kind: 'information', durationMinutes: 10, ownerId: chair.id },
      { title: 'Sales forecast', kind: 'discussion', durationMinutes: 15, ownerId: sales2.id },
      { title: 'Operations capacity', kind: 'discussion', durationMinutes: 15, ownerId: notes.id },
      { title: 'Budget approval', kind: 'decision', durationMinutes: 15, ownerId: presenter.id },
      { title: 'Next steps', kind: 'information', durationMinutes: 5 },
    ],
  });
  t.equal(created.status, 201, created.text);
  const first = created.body;
  t.match(first, { status: 'draft', seriesId: String, recurrence: 'FREQ=WEEKLY;BYDAY=MO;COUNT=8', originalStartsAt: first.startsAt, agendaMinutes: 60, overrunMinutes: 0 });
  t.equal(first.participants.length, 5);

  // Occurrences: 8 meetings sharing the series, each Monday at 10:00 Berlin time across DST.
  const series = await api.get(`/v1/meetings?seriesId=${first.seriesId}`);
  t.equal(series.body.data.length, 8);
  t.same(series.body.data.map((m: { startsAt: string }) => m.startsAt), [
    '2031-03-03T09:00:00.000Z', '2031-03-10T09:00:00.000Z', '2031-03-17T09:00:00.000Z', '2031-03-24T09:00:00.000Z',
    '2031-03-31T08:00:00.000Z', '2031-04-07T08:00:00.000Z', '2031-04-14T08:00:00.000Z', '2031-04-21T08:00:00.000Z',
  ]);
  const third = series.body.data[2];
  t.match((await api.get(`/v1/meetings/${third.id}`)).body, { participants: { length: 5 }, agendaItems: [], title: 'Launch coordination' }, 'each occurrence has its own agenda');

  // The agenda is reordered once: the decision comes first.
  const ids = first.agendaItems.map((i: { id: string }) => i.id);
  const order = [ids[3], ids[0], ids[1], ids[2], ids[4]];
  const reordered = await api.put(`/v1/meetings/${first.id}/agenda-items/order`, { itemIds: order });
  t.equal(reordered.status, 200, reordered.text);
  t.same(reordered.body.data.map((i: { id: string; position: number }) => [i.id, i.position]), order.map((id, i) => [id, i + 1]));

  // Invitations go out for the series: every occurrence is scheduled by the one REQUEST.
  const sent = await api.post(`/v1/meetings/${first.id}/invitations`);
  t.equal(sent.status, 200, sent.text);
  const [invitation, ...moreInvitations] = await eventsOf(api, 'meeting.invitation.sent', 1);
  t.equal(moreInvitations.length, 0, 'one invitation for the series');
  t.match(invitation.data, {
    resent: false,
    meeting: { id: first.id, status: 'scheduled', version: sent.body.version, participants: { length: 5 }, agendaItems: order.map((id) => ({ id })), materials: [] },
  });
  let ics = parseIcs(invitation.data.ics);
  t.equal(ics.method, 'REQUEST');
  t.same(ics.timezones, ['Europe/Berlin']);
  const master = ics.events.find((e) => e.rrule)!;
  const occurrence = ics.events.find((e) => e.recurrenceId)!;
  t.same(master.rrule!.split(';').sort(), ['BYDAY=MO', 'COUNT=8', 'FREQ=WEEKLY']);
  t.match(master, { uid: `${first.seriesId}@liaison`, sequence: 0, tzid: 'Europe/Berlin', url: 'https://meet.example.com/launch', location: 'HQ 4.12' });
  t.equal(master.start.toISOString(), '2031-03-03T09:00:00.000Z');
  t.match(occurrence, { uid: master.uid, sequence: 0, status: 'CONFIRMED', summary: 'Launch coordination', tzid: 'Europe/Berlin' });
  t.equal(occurrence.recurrenceId!.toISOString(), '2031-03-03T09:00:00.000Z');
  t.equal(occurrence.end.toISOString(), '2031-03-03T10:00:00.000Z');
  t.match(occurrence.organizer, new RegExp(`mailto:${chair.email}`, 'i'));
  t.match(occurrence.description, /Agree the Q2 launch plan[\s\S]*1\. Budget approval \(15 min\)[\s\S]*2\. Goals and metrics[\s\S]*5\. Next steps/);
  const roleOf = (e: typeof occurrence, email: string) => e.attendees.find((a) => a.email === email.toLowerCase());
  t.match(roleOf(occurrence, chair.email), { role: 'CHAIR', partstat: 'ACCEPTED' }, 'the organizer is not asked to answer');
  t.match(roleOf(occurrence, optional.email), { role: 'OPT-PARTICIPANT' });
  t.match(roleOf(occurrence, presenter.email), { role: 'REQ-PARTICIPANT' });
  const scheduled = await api.get(`/v1/meetings?seriesId=${first.seriesId}&status=scheduled`);
  t.equal(scheduled.body.data.length, 8);

  // RSVPs from each department.
  for (const [who, answer] of [[chair, 'accepted'], [notes, 'declined'], [presenter, 'tentative']] as const) {
    const r = await api.put(`/v1/meetings/${first.id}/participants/${who.id}/response`, { response: answer });
    t.equal(r.status, 200, r.text);
    t.match(r.body, { response: answer, respondedAt: String, version: 2 });
  }
  const answers = await eventsOf(api, 'participant.responded', 3);
  t.same(answers.map((e) => [e.data.participant.personId, e.data.previousResponse, e.data.participant.response]), [
    [chair.id, 'needs_action', 'accepted'], [notes.id, 'needs_action', 'declined'], [presenter.id, 'needs_action', 'tentative'],
  ]);
  ics = parseIcs((await api.get(`/v1/meetings/${first.id}/calendar.ics`)).text);
  const occ = ics.events.find((e) => e.recurrenceId)!;
  t.same([chair, notes, presenter, sales2].map((p) => roleOf(occ, p.email)!.partstat), ['ACCEPTED', 'DECLINED', 'TENTATIVE', 'NEEDS-ACTION']);

  // The time moves for the whole series: 10:30 Berlin from now on, SEQUENCE 1.
  const moved = await api.patch(`/v1/meetings/${first.id}?scope=series`, { startsAt: '2031-03-03T09:30:00.000Z', endsAt: '2031-03-03T10:30:00.000Z' });
  t.equal(moved.status, 200, moved.text);
  t.match(moved.body, { sequence: 1, startsAt: '2031-03-03T09:30:00.000Z', materialsDueAt: '2031-03-02T09:30:00.000Z' });
  const [update] = await eventsOf(api, 'meeting.updated', 1);
  t.match(update.data, {
    scope: 'series', meeting: { id: first.id, sequence: 1, version: moved.body.version },
    changes: { startsAt: { before: '2031-03-03T09:00:00.000Z', after: '2031-03-03T09:30:00.000Z' }, sequence: { before: 0, after: 1 } },
  });
  t.equal(update.data.occurrenceIds.length, 8);
  ics = parseIcs(update.data.ics);
  t.equal(ics.method, 'REQUEST');
  t.same(ics.events.map((e) => e.sequence), [1, 1], 'master and occurrence both at SEQUENCE 1');
  t.same(ics.events.map((e) => e.start.toISOString()), ['2031-03-03T09:30:00.000Z', '2031-03-03T09:30:00.000Z']);
  t.equal(ics.events[1]!.recurrenceId!.toISOString(), '2031-03-03T09:30:00.000Z');
  const after = (await api.get(`/v1/meetings?seriesId=${first.seriesId}`)).body.data;
  t.same(after.map((m: { startsAt: string }) => m.startsAt.slice(11, 16)), ['09:30', '09:30', '09:30', '09:30', '08:30', '08:30', '08:30', '08:30']);
  t.ok(after.every((m: { sequence: number }) => m.sequence === 1));

  // One occurrence is cancelled; the others stay.
  const cancelled = await api.post(`/v1/meetings/${third.id}/cancel`, { reason: 'Public holiday for the finance team' });
  t.equal(cancelled.status, 200, cancelled.text);
  t.match(cancelled.body, { status: 'cancelled', sequence: 2 });
  const [cancel] = await eventsOf(api, 'meeting.cancelled', 1);
  t.match(cancel.data, { reason: 'Public holiday for the finance team', meeting: { id: third.id, status: 'cancelled', version: cancelled.body.version } });
  ics = parseIcs(cancel.data.ics);
  t.equal(ics.method, 'CANCEL');
  t.equal(ics.events.length, 1, 'only the cancelled occurrence');
  t.match(ics.events[0], { uid: `${first.seriesId}@liaison`, status: 'CANCELLED', sequence: 2 });
  t.equal(ics.events[0]!.recurrenceId!.toISOString(), '2031-03-17T09:30:00.000Z');
  const left = await api.get(`/v1/meetings?seriesId=${first.seriesId}&status=scheduled`);
  t.equal(left.body.data.length, 7);
  t.equal((await api.get(`/v1/meetings/${third.id}/calendar.ics`)).text.includes('METHOD:CANCEL'), true);

  // The series calendar now excludes the cancelled date; the finance presenter's feed shows it all.
  ics = parseIcs((await api.get(`/v1/meetings/${first.id}/calendar.ics`)).text);
  t.same(ics.events.find((e) => e.rrule)!.exdates.map((d) => d.toISOString()), ['2031-03-17T09:30:00.000Z']);
  const feed = await api.get(`/v1/people/${presenter.id}/calendar.ics?from=2031-03-01T00:00:00Z&to=2031-05-01T00:00:00Z`);
  t.equal(feed.status, 200);
  t.match(feed.headers['content-type'], /^text\/calendar/);
  ics = parseIcs(feed.text);
  t.equal(ics.method, 'PUBLISH');
  t.equal(ics.events.filter((e) => e.rrule).length, 1, 'one master for the series');
  t.equal(ics.events.filter((e) => e.recurrenceId).length, 8);
  t.equal(ics.events.filter((e) => e.status === 'CANCELLED').length, 1);
  t.equal(new Set(ics.events.map((e) => e.uid)).size, 1);

  // What was emitted is what the catalogue declares.
  for (const def of meetingEventTypes) {
    for (const e of await eventsOf(api, def.type, 0)) {
      const parsed = def.data.safeParse(e.data);
      t.ok(parsed.success, `${def.type} payload matches its schema ${parsed.success ? '' : JSON.stringify(parsed.error.issues[0])}`);
    }
  }

  const byDepartment = await api.get(`/v1/meetings?departmentId=${finance}&from=2031-03-01T00:00:00Z&to=2031-04-01T00:00:00Z`);
  t.equal(byDepartment.body.data.length, 5);
}

import t from 'tap';
import { randomBytes } from 'node:crypto';
import { buildTestApp, type Answer, type Caller } from './helpers.js';
import { callerWith, newPerson } from './access-helpers.js';
import { fill, fixtures, generator, KIND, NUMERIC_PARAMS, operations, resolver, snapshot } from './sweep-helpers.js';

// The tenancy sweep (tests/tenancy-sweep.test.ts) grown by two principals of the same organisation
// (SPEC §8): a person-bound key of someone who takes no part in a confidential meeting, and an
// integration key without scope `confidential`. Over every operation of the live OpenAPI document
// naming the meeting or something in it, each gets 404 (it cannot see it) or, for a person on a
// route closed to persons, 403 (refused whatever the id), and the rows are unchanged; no answer to
// any read, list, search or report carries the meeting's word.

/** Path parameters whose fixture lives in the confidential meeting (the issue was raised in it). */
const IN_MEETING = new Set(['meetingId', 'itemId', 'materialId', 'decisionId', 'issueId', 'proposalId']);

t.test('an unrelated person and an integration key without `confidential` find nothing of a confidential meeting, on every operation', async (t) => {
  const api = await buildTestApp(t);
  const word = `Quokka${randomBytes(4).toString('hex')}`;
  const mine = await fixtures(t, api, 'A', word);
  const detail = await api.get(`/v1/meetings/${mine.meetingId}`);
  t.equal(detail.body.visibility, 'participants', 'the fixture meeting is confidential');
  const stranger = await newPerson(api, 'Sam Stranger');
  const key = async (body: Record<string, unknown>) => callerWith(api, (await api.post('/v1/api-keys', { name: 'sweep', ...body })).body.secret);
  const principals: [string, Caller][] = [
    ['an unrelated person', await key({ scopes: ['read', 'write', 'webhooks'], personId: stranger.id })],
    ['an integration key without confidential', await key({ scopes: ['read', 'write', 'webhooks'] })],
  ];
  const { ops, doc } = operations(api);
  const make = generator(resolver(doc), mine);
  const rules = new Map<string, string>();
  for (const [path, item] of Object.entries<Record<string, { 'x-liaison-access'?: string }>>(doc.paths)) {
    for (const [method, op] of Object.entries(item)) rules.set(`${method.toUpperCase()} ${path}`, op['x-liaison-access'] ?? '');
  }
  const before = await snapshot(api, mine);
  t.equal(Object.values(before).filter((v) => (v as { status: number }).status !== 200).length, 0, 'every fixture reads back 200 by the admin key');

  const leaks: string[] = [];
  const look = (res: Answer, label: string) => {
    if ((res.text ?? '').includes(word)) leaks.push(label);
  };
  let refusedInMeeting = 0;
  for (const op of ops) {
    if (op.path.includes('/stream')) continue;
    const idParams = op.params.filter((p) => !NUMERIC_PARAMS.has(p));
    const inMeeting = idParams.some((p) => IN_MEETING.has(p));
    const url = fill(op.path, Object.fromEntries(idParams.map((p) => [p, mine[KIND[p]!] as string])));
    const body = op.jsonBody ? make(op.jsonBody, '') : op.method === 'POST' ? {} : undefined;
    const rule = rules.get(`${op.method} ${op.path}`);
    for (const [who, caller] of principals) {
      const label = `${op.method} ${op.path} by ${who}`;
      // An integration key may change what is outside the meeting: not this sweep's concern.
      if (!inMeeting && op.method !== 'GET' && who !== 'an unrelated person') continue;
      const res = await caller.request(op.method, url, body);
      look(res, label);
      if (inMeeting) {
        const allowed = who === 'an unrelated person' && rule === 'integration' ? [403, 404] : [404];
        t.ok(allowed.includes(res.status), `${label}: ${allowed.join(' or ')} (got ${res.status} ${allowed.includes(res.status) ? '' : res.text.slice(0, 200)})`);
        refusedInMeeting++;
      } else if (op.method !== 'GET' && who === 'an unrelated person' && rule === 'integration') {
        t.equal(res.status, 403, `${label}: 403 (got ${res.status} ${res.status === 403 ? '' : res.text.slice(0, 200)})`);
      }
      if (op.method !== 'GET' && (inMeeting || who === 'an unrelated person')) t.same(await snapshot(api, mine), before, `${label}: rows unchanged`);
    }
  }
  t.ok(refusedInMeeting >= 80, `${refusedInMeeting} requests naming the meeting or something in it refused`);

  // Reads that name no meeting: the lists, search for the word, the feeds and the reports.
  for (const [who, caller] of principals) {
    for (const url of [`/v1/search?q=${word}`, '/v1/events?limit=200', '/v1/reminders', `/v1/people/${mine.personId}/calendar.ics`, `/v1/meetings?participantId=${mine.personId}`]) {
      const res = await caller.get(url);
      t.equal(res.status, 200, `GET ${url} by ${who}: 200`);
      look(res, `GET ${url} by ${who}`);
    }
    const markdown = await caller.get(`/v1/initiatives/${mine.initiativeId}/report`, { accept: 'text/markdown' });
    t.equal(markdown.status, 200, `the Markdown report by ${who}`);
    look(markdown, `the Markdown report by ${who}`);
    // A body naming the meeting is refused as one naming nothing.
    const issue = await caller.post('/v1/issues', { title: 'Side door', ownerId: stranger.id, meetingId: mine.meetingId });
    t.equal(issue.status, 400, `opening an issue in the meeting by ${who}: 400`);
    t.match(issue.body?.errors, [{ path: 'body.meetingId' }], `${who}: errors[] names body.meetingId`);
  }
  t.same(leaks, [], `no answer carries the confidential meeting's word`);
  t.same(await snapshot(api, mine), before, 'the rows are unchanged after the whole sweep');
});

import t from 'tap';
import { connect } from 'node:net';
import { buildTestApp, uniq, type TestApp } from './helpers.js';
import { startReceiver } from './helpers/webhook-receiver.js';

// The action endpoints take no input: a client may send no body at all (no Content-Type, as curl
// -X POST does), an empty JSON object, or an empty body declared as JSON (what generated clients
// send for a left-out optional body). Anything that is not an object is still refused. Requests
// go over a real socket, as clients send them.

type Send = (base: string, key: string, path: string) => Promise<{ status: number; type: string; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A POST written byte for byte on a socket, so that exactly the headers given are sent; the server
 * closes the connection after answering (`connection: close`). */
const raw = (headers: Record<string, string>, body = ''): Send => (base, key, path) =>
  new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const lines = [`POST ${url.pathname} HTTP/1.1`, `host: ${url.host}`, `authorization: Bearer ${key}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`));
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d)).on('error', reject).on('end', () => {
      const [head, text = ''] = answer.split('\r\n\r\n', 2) as [string, string?];
      const type = /^content-type: *(.*)$/im.exec(head)?.[1]?.trim() ?? '';
      resolve({ status: Number(head.split(' ')[1]), type, body: type.includes('json') && text ? JSON.parse(text) : text });
    });
  });

const accepted: Record<string, Send> = {
  'no body and no Content-Type (curl -X POST)': raw({}),
  'Content-Length: 0 and no Content-Type (fetch)': raw({ 'content-length': '0' }),
  'an empty JSON object': raw({ 'content-type': 'application/json', 'content-length': '2' }, '{}'),
  'an empty body declared as JSON': raw({ 'content-type': 'application/json', 'content-length': '0' }),
};

const refused: Record<string, string> = { array: '[]', null: 'null', string: '"go"', number: '1', 'object with a field': '{"now":true}' };

async function meetingWithAttendee(api: TestApp) {
  const person = await api.post('/v1/people', { name: 'Ada', email: `${uniq('ada')}@example.test` });
  const meeting = await api.post('/v1/meetings', {
    title: uniq('Sync'), startsAt: '2031-03-01T09:00:00Z', endsAt: '2031-03-01T10:00:00Z', timeZone: 'Europe/Berlin',
    organizerId: person.body.id, participants: [{ personId: person.body.id, role: 'chair' }],
  });
  return { meetingId: meeting.body.id as string, personId: person.body.id as string };
}

t.test('every action accepts no body, {} and an empty JSON body', async (t) => {
  const api = await buildTestApp(t);
  const base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  // The endpoint fails every delivery, so that each test attempt leaves a delivery to retry.
  const receiver = await startReceiver('whsec_' + Buffer.alloc(32, 7).toString('base64'), { defaultResponse: { status: 500 } });
  t.teardown(() => receiver.close());

  for (const [how, send] of Object.entries(accepted)) {
    const { meetingId, personId } = await meetingWithAttendee(api);
    const m = `/v1/meetings/${meetingId}`;
    t.match(await send(base, api.key, `${m}/invitations`), { status: 200, body: { status: 'scheduled' } }, `invitations with ${how}`);
    t.match(await send(base, api.key, `${m}/invitations`), { status: 200, body: { status: 'scheduled' } }, `invitations again with ${how}`);
    t.match(await send(base, api.key, `${m}/start`), { status: 200, body: { status: 'in_progress' } }, `start with ${how}`);
    t.equal((await api.put(`${m}/minutes`, { summary: 'Agreed.', attendance: [{ personId, present: true }], acknowledgements: [] })).status, 200);
    t.match(await send(base, api.key, `${m}/minutes/publish`), { status: 201, body: { revision: 1 } }, `publish with ${how}`);
    t.match(await send(base, api.key, `${m}/end`), { status: 200, body: { status: 'completed' } }, `end with ${how}`);

    const hook = await api.post('/v1/webhooks', { url: receiver.url, eventTypes: ['webhook.test'] });
    const test = await send(base, api.key, `/v1/webhooks/${hook.body.id}/test`);
    t.match(test, { status: 200, body: { eventType: 'webhook.test', attempts: [{ responseStatus: 500 }] } }, `test with ${how}`);
    const retry = await send(base, api.key, `/v1/webhooks/${hook.body.id}/deliveries/${test.body.id}/retry`);
    t.match(retry, { status: 202, body: { id: test.body.id, status: 'pending' } }, `retry with ${how}`);
    t.match(await send(base, api.key, `/v1/webhooks/${hook.body.id}/rotate-secret`), { status: 200, body: { secret: /^whsec_/ } }, `rotate-secret with ${how}`);
  }
});

t.test('a body that is not an empty object is still 400, and nothing changes', async (t) => {
  const api = await buildTestApp(t);
  const base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  const { meetingId } = await meetingWithAttendee(api);
  const hook = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/never', eventTypes: ['*'] });
  const audited = await api.count('audit_events');
  for (const path of [`/v1/meetings/${meetingId}/invitations`, `/v1/meetings/${meetingId}/start`, `/v1/meetings/${meetingId}/end`, `/v1/meetings/${meetingId}/minutes/publish`, `/v1/webhooks/${hook.body.id}/test`]) {
    for (const [what, body] of Object.entries(refused)) {
      const res = await raw({ 'content-type': 'application/json', 'content-length': String(body.length) }, body)(base, api.key, path);
      t.match(res, { status: 400, type: 'application/problem+json', body: { status: 400, errors: [{ path: /^body/ }] } }, `POST ${path.replace(/[0-9a-f-]{36}/g, '…')} with ${what}`);
    }
    // A JSON route still takes only JSON: a text body is 415, not an empty action.
    t.equal((await raw({ 'content-type': 'text/plain', 'content-length': '2' }, 'go')(base, api.key, path)).status, 415, `text/plain on ${path.split('/').pop()}`);
  }
  t.equal((await api.get(`/v1/meetings/${meetingId}`)).body.status, 'draft', 'the meeting was not touched');
  t.equal(await api.count('audit_events'), audited, 'no refused request wrote anything');
});

t.test('the document says these bodies may be left out, and only those', async (t) => {
  const api = await buildTestApp(t);
  const doc = api.app.swagger() as unknown as { paths: Record<string, Record<string, { requestBody?: { required: boolean } }>> };
  const optional = Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.entries(item).filter(([, op]) => op.requestBody?.required === false).map(([method]) => `${method.toUpperCase()} ${path}`))
    .filter((op) => op.startsWith('POST'));
  t.same(optional.sort(), [
    'POST /v1/meetings/{meetingId}/end',
    'POST /v1/meetings/{meetingId}/follow-up',
    'POST /v1/meetings/{meetingId}/invitations',
    'POST /v1/meetings/{meetingId}/minutes/publish',
    'POST /v1/meetings/{meetingId}/start',
    'POST /v1/meetings/{meetingId}/time-proposals/{proposalId}/accept',
    'POST /v1/meetings/{meetingId}/time-proposals/{proposalId}/decline',
    'POST /v1/webhooks/{webhookId}/deliveries/{deliveryId}/retry',
    'POST /v1/webhooks/{webhookId}/rotate-secret',
    'POST /v1/webhooks/{webhookId}/test',
  ]);
  t.equal(doc.paths['/v1/meetings']!.post!.requestBody!.required, true, 'a body with required fields stays required');
});

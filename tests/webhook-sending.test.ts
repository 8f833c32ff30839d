import net from 'node:net';
import t, { type Test } from 'tap';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';
import { createWebhookAgent, sendWebhook, type WebhookSendResult } from '../src/webhooks/send.js';
import { generateWebhookSecret, signatureHeader } from '../src/webhooks/signing.js';
import { checkWebhookUrl, forbiddenReason, guardedLookup, parseAllowCidrs } from '../src/webhooks/ssrf.js';
import {
  DEFAULT_RETRY_SCHEDULE,
  nextAttemptDelay,
  parseRetrySchedule,
  retryAfterDelay,
} from '../src/webhooks/schedule.js';

const allowLocal = parseAllowCidrs('127.0.0.1/32');
const agent = createWebhookAgent({ allow: allowLocal, timeoutMs: 5000 });
t.teardown(() => agent.close());

const secretA = generateWebhookSecret();
const secretB = generateWebhookSecret();

async function receiver(t: Test, secret: string | string[] = secretA): Promise<Receiver> {
  const r = await startReceiver(secret);
  t.teardown(() => r.close());
  return r;
}

function send(url: string, extra: Partial<Parameters<typeof sendWebhook>[0]> = {}): Promise<WebhookSendResult> {
  return sendWebhook({
    agent,
    url,
    msgId: 'evt_123',
    timestampSec: Math.floor(Date.now() / 1000),
    body: JSON.stringify({ type: 'meeting.created', data: { id: 'm1' } }),
    secrets: [secretA],
    timeoutMs: 5000,
    userAgent: 'Liaison-Webhooks/0.1.0',
    ...extra,
  });
}

t.test('signature verifies with standardwebhooks for one secret', async (t) => {
  t.match(secretA, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const r = await receiver(t);
  const res = await send(r.url);
  t.same([res.ok, res.status, res.errorClass], [true, 204, null]);
  const [got] = await r.waitFor(1);
  t.equal(got.verified, true);
  t.equal(got.id, 'evt_123');
  t.same(got.parsed, { type: 'meeting.created', data: { id: 'm1' } });
  t.equal(got.headers['content-type'], 'application/json');
  t.equal(got.headers['user-agent'], 'Liaison-Webhooks/0.1.0');
  // Negative control: the same request signed with another key must not verify.
  await send(r.url, { secrets: [secretB] });
  t.equal((await r.waitFor(2))[1].verified, false);
});

t.test('two secrets: one v1 entry per secret, each verifies on its own', async (t) => {
  const header = signatureHeader([secretA, secretB], 'evt_1', 1700000000, '{}');
  t.match(header, /^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
  const onlyA = await receiver(t, secretA);
  const onlyB = await receiver(t, [generateWebhookSecret(), secretB]);
  t.ok((await send(onlyA.url, { secrets: [secretA, secretB] })).ok);
  t.ok((await send(onlyB.url, { secrets: [secretA, secretB] })).ok);
  t.equal((await onlyA.waitFor(1))[0].verified, true);
  t.equal((await onlyB.waitFor(1))[0].verified, true);
});

t.test('5xx is an http failure with the body excerpt kept', async (t) => {
  const r = await receiver(t);
  r.respondWith({ status: 500, body: 'boom', headers: { 'retry-after': '120' } });
  const res = await send(r.url);
  t.same([res.ok, res.status, res.errorClass, res.bodyExcerpt, res.retryAfter], [false, 500, 'http', 'boom', '120']);
  t.match(res.error, /500/);
});

t.test('redirects are not followed', async (t) => {
  const r = await receiver(t);
  r.respondWith({ status: 302, headers: { location: `${r.url}elsewhere` } });
  const res = await send(r.url);
  t.same([res.ok, res.status, res.errorClass], [false, 302, 'http']);
  t.match(res.error, /redirect not followed/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(r.received.length, 1);
  t.equal(r.received[0].path, '/');
});

t.test('total time-out covers waiting for headers and for the body', async (t) => {
  const r = await receiver(t);
  r.respondWith({ hang: true }, { status: 200, hang: 'body', body: 'partial' });
  for (const expectedStatus of [null, 200]) {
    const res = await send(r.url, { timeoutMs: 300 });
    t.same([res.ok, res.status, res.errorClass], [false, expectedStatus, 'timeout']);
    t.ok(res.durationMs >= 250 && res.durationMs < 3000, `duration ${res.durationMs} near 300 ms`);
  }
});

t.test('response body is read up to 20 KiB only', async (t) => {
  const r = await receiver(t);
  r.respondWith({ status: 200, body: 'x'.repeat(1024 * 1024) }, { status: 200, body: 'a' + 'é'.repeat(30000) });
  const big = await send(r.url);
  t.same([big.ok, Buffer.byteLength(big.bodyExcerpt)], [true, 20480]);
  const multibyte = await send(r.url);
  t.equal(Buffer.byteLength(multibyte.bodyExcerpt), 20479, 'cut falls inside a 2-byte character');
  t.notMatch(multibyte.bodyExcerpt, /\uFFFD/, 'no split character at the cut');
});

t.test('NUL bytes in a response body are kept as U+FFFD, which PostgreSQL text can store', async (t) => {
  const r = await receiver(t);
  r.respondWith({ status: 500, body: 'bad\u0000body\u0000' });
  const res = await send(r.url);
  t.same([res.status, res.bodyExcerpt], [500, 'bad\uFFFDbody\uFFFD']);
});

t.test('retry schedule parsing and jitter', async (t) => {
  t.same(parseRetrySchedule('1s,2s,4s'), [1000, 2000, 4000]);
  t.same(parseRetrySchedule(' 250ms, 1m,1h ,1d'), [250, 60_000, 3_600_000, 86_400_000]);
  for (const bad of ['abc', '', '5', '1s,,2s', '5x', '-1s']) {
    t.throws(() => parseRetrySchedule(bad), /invalid retry schedule entry/, `rejects "${bad}"`);
  }
  t.throws(() => parseRetrySchedule('1s,5x'), /"5x"/);
  t.equal(DEFAULT_RETRY_SCHEDULE.length, 9);
  t.same([DEFAULT_RETRY_SCHEDULE[0], DEFAULT_RETRY_SCHEDULE[8]], [5000, 86_400_000]);
  const schedule = [1000, 2000, 4000];
  t.equal(nextAttemptDelay(1, schedule, () => 0), 800);
  t.equal(nextAttemptDelay(3, schedule, () => 0.999999), 4800);
  t.equal(nextAttemptDelay(4, schedule), null);
  t.equal(nextAttemptDelay(10, DEFAULT_RETRY_SCHEDULE), null);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const d = nextAttemptDelay(2, schedule)!;
    if (d < 1600 || d > 2400) t.fail(`jittered delay ${d} outside ±20%`);
    seen.add(d);
  }
  t.ok(seen.size > 100, 'delays are actually randomised');
});

t.test('Retry-After is clamped between the scheduled delay and twice it', async (t) => {
  const now = new Date('2025-01-01T00:00:00Z');
  t.equal(retryAfterDelay('7', 5000, now), 7000);
  t.equal(retryAfterDelay('1', 5000, now), 5000);
  t.equal(retryAfterDelay('3600', 5000, now), 10000);
  t.equal(retryAfterDelay(new Date(now.getTime() + 8000).toUTCString(), 5000, now), 8000);
  t.equal(retryAfterDelay(new Date(now.getTime() + 86_400_000).toUTCString(), 5000, now), 10000);
  t.equal(retryAfterDelay(new Date(now.getTime() - 60_000).toUTCString(), 5000, now), 5000);
  t.equal(retryAfterDelay('soon', 5000, now), 5000);
  t.equal(retryAfterDelay(undefined, 5000, now), 5000);
});

t.test('forbidden address classification', async (t) => {
  const none = parseAllowCidrs(undefined);
  const cases: Array<[string, string | null]> = [
    ['127.0.0.1', 'loopback'], ['::1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'], ['172.31.0.1', 'private'], ['192.168.1.1', 'private'], ['fd12::1', 'private'],
    ['169.254.169.254', 'link-local'], ['fe80::1%eth0', 'link-local'], ['100.64.0.1', 'cgnat'],
    ['224.0.0.1', 'multicast'], ['ff02::1', 'multicast'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['0.1.2.3', 'reserved'], ['240.0.0.1', 'reserved'], ['255.255.255.255', 'broadcast'],
    ['64:ff9b::a00:1', 'private'], ['2002:a9fe:a9fe::1', 'link-local'],
    ['8.8.8.8', null], ['2606:4700:4700::1111', null], ['::ffff:8.8.8.8', null],
  ];
  for (const [ip, reason] of cases) t.equal(forbiddenReason(ip, none), reason, ip);
  t.equal(forbiddenReason('::ffff:127.0.0.1', allowLocal), null, 'allow-list applies to mapped form');
  t.equal(forbiddenReason('127.0.0.2', allowLocal), 'loopback', 'allow-list is exact');
  t.throws(() => parseAllowCidrs('127.0.0.1/32,nope'), /"nope"/);
  t.throws(() => parseAllowCidrs('10.0.0.0/33'), /"10.0.0.0\/33"/);
  t.ok(parseAllowCidrs('127.0.0.1/32, ::1/128').check('::1', 'ipv6'));
});

t.test('checkWebhookUrl at subscription time', async (t) => {
  const none = parseAllowCidrs('');
  const refused: Array<[string, RegExp]> = [
    ['http://169.254.169.254/', /link-local address \(169\.254\.169\.254\)/],
    ['http://10.0.0.1/', /private address \(10\.0\.0\.1\)/],
    ['http://[::1]/', /loopback address \(::1\)/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://localhost/', /^resolves to a loopback address \((127\.0\.0\.1|::1)\)$/],
    ['ftp://x', /scheme "ftp"/],
    ['https://user:pw@example.com/', /credentials/],
    ['not a url', /valid/],
  ];
  for (const [url, reason] of refused) {
    const res = await checkWebhookUrl(url, none);
    t.match(res, { ok: false, reason }, url);
  }
  const r = await receiver(t);
  t.same(await checkWebhookUrl(r.url, allowLocal), { ok: true });
  t.same(await checkWebhookUrl(r.url, none), { ok: false, reason: 'is a loopback address (127.0.0.1)' });
  const mixed = async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }];
  t.match(await checkWebhookUrl('https://rebind.example/', none, mixed), { ok: false, reason: /10\.0\.0\.5/ });
  const publicOnly = async () => [{ address: '93.184.216.34', family: 4 }];
  t.same(await checkWebhookUrl('https://ok.example/', none, publicOnly), { ok: true });
});

t.test('connect-time guard: no TCP connection to a forbidden address', async (t) => {
  const r = await receiver(t);
  const strict = createWebhookAgent({ allow: parseAllowCidrs(undefined), timeoutMs: 2000 });
  t.teardown(() => strict.close());
  for (const url of [r.url, `http://localhost:${r.port}/`]) {
    const res = await send(url, { agent: strict });
    t.same([res.ok, res.status, res.errorClass], [false, null, 'blocked'], url);
    t.match(res.error, /loopback/);
  }
  t.equal(r.connections, 0);
  t.equal(r.received.length, 0);
  t.ok((await send(r.url)).ok, 'the allow-listed agent does reach it');
  t.equal(r.connections, 1);

  const lookup = guardedLookup(parseAllowCidrs(undefined));
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
    lookup('localhost', { all: true }, (e) => resolve(e)),
  );
  t.equal(err?.code, 'ELIAISONBLOCKED');
});

t.test('connection failures are classified', async (t) => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as net.AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  t.match(await send(`http://127.0.0.1:${port}/`), { ok: false, errorClass: 'connect', error: /ECONNREFUSED/ });
  t.match(await send('http://no-such-host.invalid/'), { ok: false, errorClass: 'dns' });
  t.match(await send('ftp://127.0.0.1/'), { ok: false, errorClass: 'blocked' });
});

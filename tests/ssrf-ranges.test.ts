import t from 'tap';
import { buildTestApp, uniq } from './helpers.js';
import { createWebhookAgent, sendWebhook } from '../src/webhooks/send.js';
import { generateWebhookSecret } from '../src/webhooks/signing.js';
import { forbiddenReason, parseAllowCidrs } from '../src/webhooks/ssrf.js';

// Literal-IP webhook URLs against the IANA special-purpose registries. The tests run with
// LIAISON_WEBHOOK_ALLOW_CIDRS=127.0.0.1/32,::1/128, so nothing here is allow-listed.

const refused: [url: string, reason: RegExp][] = [
  // 2001::/23, IETF protocol assignments
  ['http://[2001::1]/', /Teredo/],
  ['http://[2001:0:a00:1::]/', /Teredo/],
  ['http://[2001:0:ffff:ffff:ffff:ffff:ffff:ffff]/', /Teredo/],
  ['http://[2001:1::1]/', /anycast service/],
  ['http://[2001:1::2]/', /anycast service/],
  ['http://[2001:1::3]/', /anycast service/],
  ['http://[2001:1::4]/', /special-purpose/],
  ['http://[2001:2::1]/', /benchmarking/],
  ['http://[2001:10::1]/', /overlay identifier/],
  ['http://[2001:20::1]/', /overlay identifier/],
  ['http://[2001:2f:ffff::1]/', /overlay identifier/],
  ['http://[2001:30::1]/', /overlay identifier/],
  ['http://[2001:100::1]/', /special-purpose/],
  ['http://[2001:1ff:ffff:ffff::1]/', /special-purpose/],
  ['http://[2001:db8::1]/', /documentation/],
  ['http://[3fff::1]/', /documentation/],
  ['http://[3fff:fff:ffff::1]/', /documentation/],
  // outside global unicast, or embedding an address that is not global
  ['http://[5f00::1]/', /special-purpose/],
  ['http://[100::1]/', /discard-only/],
  ['http://[100:0:0:1::1]/', /reserved/],
  ['http://[64:ff9b:1::1]/', /private/],
  ['http://[64:ff9b::10.0.0.1]/', /private address \(64:ff9b::a00:1\)/],
  ['http://[64:ff9b::a9fe:a9fe]/', /link-local/],
  ['http://[64:ff9b::1:a00:1]/', /reserved/],
  ['http://[2002:a00:1::1]/', /private address \(2002:a00:1::1\)/],
  ['http://[2002:c0a8:101::]/', /private address \(2002:c0a8:101::\)/],
  ['http://[2002:c000:201::1]/', /documentation/],
  ['http://[::ffff:a00:1]/', /private/],
  ['http://[::ffff:169.254.169.254]/', /link-local/],
  ['http://[::ffff:0:a00:1]/', /reserved/],
  ['http://[::a00:1]/', /deprecated IPv4-compatible/],
  ['http://[::8.8.8.8]/', /deprecated IPv4-compatible/],
  ['http://[::]/', /unspecified/],
  ['http://[fc00::1]/', /private/],
  ['http://[fd12:3456::1]/', /private/],
  ['http://[fe80::1]/', /link-local/],
  ['http://[fec0::1]/', /private/],
  ['http://[ff02::1]/', /multicast/],
  ['http://[ff0e::1]/', /multicast/],
  ['http://[4000::1]/', /reserved/],
  // IPv4
  ['http://0.0.0.0/', /unspecified/],
  ['http://0.1.2.3/', /reserved/],
  ['http://10.0.0.1/', /private/],
  ['http://100.64.0.1/', /cgnat/],
  ['http://100.127.255.255/', /cgnat/],
  ['http://127.0.0.2/', /loopback/],
  ['http://0x7f000002/', /loopback address \(127\.0\.0\.2\)/],
  ['http://169.254.169.254/', /link-local/],
  ['http://172.16.0.1/', /private/],
  ['http://172.31.255.255/', /private/],
  ['http://192.0.0.1/', /special-purpose/],
  ['http://192.0.0.8/', /special-purpose/],
  ['http://192.0.0.9/', /special-purpose/],
  ['http://192.0.0.10/', /special-purpose/],
  ['http://192.0.0.170/', /special-purpose/],
  ['http://192.0.2.1/', /documentation/],
  ['http://192.88.99.1/', /reserved/],
  ['http://192.88.99.2/', /reserved/],
  ['http://192.168.0.1/', /private/],
  ['http://198.18.0.1/', /benchmarking/],
  ['http://198.19.255.255/', /benchmarking/],
  ['http://198.51.100.7/', /documentation/],
  ['http://203.0.113.9/', /documentation/],
  ['http://224.0.0.1/', /multicast/],
  ['http://239.255.255.250/', /multicast/],
  ['http://240.0.0.1/', /reserved/],
  ['http://255.255.255.255/', /broadcast/],
];

// Globally reachable, including the global blocks inside refused ones and the edges of refused
// blocks. Subscribing sends nothing (the endpoints are created disabled), so no traffic leaves.
const accepted: string[] = [
  'http://[2001:3::1]/', // AMT
  'http://[2001:3:ffff::1]/',
  'http://[2001:4:112::1]/', // AS112-v6
  'http://[2001:200::1]/', // the first address after 2001::/23
  'http://[2001:db9::1]/',
  'http://[2620:4f:8000::1]/', // AS112, direct delegation
  'http://[2606:4700:4700::1111]/',
  'http://[3fff:1000::1]/', // the first address after 3fff::/20
  'http://[3ffe::1]/',
  'http://[64:ff9b::808:808]/', // NAT64 of a global address
  'http://[2002:808:808::1]/', // 6to4 of a global address
  'http://[::ffff:8.8.8.8]/',
  'http://8.8.8.8/',
  'http://192.0.1.1/',
  'http://192.31.196.1/', // AS112-v4
  'http://192.52.193.1/', // AMT
  'http://192.175.48.1/', // AS112, direct delegation
  'http://100.63.255.255/',
  'http://100.128.0.0/',
  'http://172.15.255.255/',
  'http://172.32.0.0/',
  'http://198.17.255.255/',
  'http://198.20.0.0/',
  'http://223.255.255.255/',
];

const hook = (url: string) => ({ url, description: uniq('hook'), eventTypes: ['webhook.*'], enabled: false });

t.test('POST /v1/webhooks refuses every special-purpose address that is not global, and writes nothing', async (t) => {
  const api = await buildTestApp(t);
  const before = [await api.count('webhooks'), await api.count('audit_events')];
  for (const [url, reason] of refused) {
    const res = await api.post('/v1/webhooks', hook(url));
    t.equal(res.status, 400, url);
    t.match(res.headers['content-type'], /^application\/problem\+json/, url);
    t.match(res.body, { status: 400, detail: reason, errors: [{ path: 'body.url', message: reason }] }, url);
  }
  t.same([await api.count('webhooks'), await api.count('audit_events')], before, 'no row written by any refusal');

  for (const url of accepted) {
    const res = await api.post('/v1/webhooks', hook(url));
    t.equal(res.status, 201, `${url}: ${res.body?.detail ?? ''}`);
  }
  t.equal(await api.count('webhooks'), before[0]! + accepted.length);

  const created = await api.post('/v1/webhooks', hook('http://[2606:4700:4700::1111]/'));
  const patched = await api.patch(`/v1/webhooks/${created.body.id}`, { url: 'http://[2001:20::1]/' });
  t.equal(patched.status, 400, 'a change of URL is judged the same way');
  t.equal((await api.get(`/v1/webhooks/${created.body.id}`)).body.url, 'http://[2606:4700:4700::1111]/', 'the old URL is kept');
});

t.test('connect-time guard: an agent never opens a connection to a refused address', async (t) => {
  const strict = createWebhookAgent({ allow: parseAllowCidrs('127.0.0.1/32'), timeoutMs: 2000 });
  t.teardown(() => strict.close());
  for (const [url, reason] of refused) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    // Only loopback may ever be contacted from tests: should the guard wave an address through,
    // fail here rather than send a packet to it.
    if (forbiddenReason(host, parseAllowCidrs('127.0.0.1/32')) === null) {
      t.fail(`${url} would be contacted`);
      continue;
    }
    const res = await sendWebhook({ agent: strict, url, msgId: 'evt_1', timestampSec: 1, body: '{}', secrets: [generateWebhookSecret()], timeoutMs: 2000, userAgent: 'test' });
    t.match(res, { ok: false, status: null, errorClass: 'blocked', error: reason }, url);
  }
});

t.test('a subscription stored before a range was refused is blocked when it is sent', async (t) => {
  const api = await buildTestApp(t);
  const created = await api.post('/v1/webhooks', hook('http://127.0.0.1:9/placeholder'));
  t.equal(created.status, 201);
  // As if the URL had been accepted under older rules: the delivery path must refuse it itself.
  const stale = 'http://[2001:20::1]/';
  if (forbiddenReason('2001:20::1', parseAllowCidrs(api.config.webhookAllowCidrs)) === null) return t.fail(`${stale} would be contacted`);
  await api.database.sql`update webhooks set url = ${stale}, enabled = true where id = ${created.body.id}`;
  const res = await api.post(`/v1/webhooks/${created.body.id}/test`);
  t.equal(res.status, 200);
  t.match(res.body.attempts, [{ responseStatus: null, errorClass: 'blocked', error: /overlay identifier address \(2001:20::1\) is not allowed/ }]);
});

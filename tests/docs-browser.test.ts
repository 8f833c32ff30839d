import t from 'tap';
import { buildTestApp } from './helpers.js';
import { findChromium, launchChromium } from './helpers/chromium.js';

// The interactive documentation, as a person opens it: in a real headless Chromium, with no key,
// under the Content-Security-Policy it is served with. Trying a request from it takes a key,
// given through Swagger UI's Authorize dialog.

t.test('the documentation is public; the API behind it is not', async (t) => {
  const api = await buildTestApp(t);
  for (const url of ['/docs', '/docs/', '/docs/json', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/openapi.json']) {
    const res = await api.inject({ method: 'GET', url });
    t.equal(res.status, 200, `GET ${url} needs no key`);
  }
  t.match((await api.inject({ method: 'GET', url: '/docs/json' })).body, { openapi: '3.1.0', info: { title: 'Liaison API' } });
  t.equal((await api.inject({ method: 'GET', url: '/v1/departments' })).status, 401, 'the API still needs a key');
  for (const url of ['/docs/nothing-here', '/docs/static/nothing-here.js']) {
    t.match(await api.inject({ method: 'GET', url }), { status: 404, headers: { 'content-type': 'application/problem+json' } }, `GET ${url} is a 404 problem`);
  }
});

const chromium = findChromium();
const skip = chromium || process.env.CI ? false : 'chromium is not installed (apt-get install chromium); CI installs it and runs this test';

t.test('Swagger UI renders every operation in Chromium and tries a request with the key given to Authorize', { skip }, async (t) => {
  if (!chromium) {
    t.fail('chromium is not installed: .ci/run installs it when absent');
    return;
  }
  const api = await buildTestApp(t);
  const code = `DOCS${Date.now().toString(36).toUpperCase()}`.slice(0, 20);
  t.equal((await api.post('/v1/departments', { name: 'Documented', code })).status, 201);
  const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  // Opened under a host name other than localhost, the way a team opens a shared server's docs:
  // browsers treat only loopback names as secure, so an `upgrade-insecure-requests` policy would
  // send every asset to https and leave the page blank.
  const origin = address.replace('127.0.0.1', 'liaison-docs.test');
  const browser = await launchChromium(chromium, { loopbackAliases: ['liaison-docs.test'] });
  t.teardown(() => browser.close());
  const page = await browser.open(`${origin}/docs`);

  const doc = api.app.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string }>>; webhooks: Record<string, Record<string, { operationId: string }>> };
  const idsOf = (group: typeof doc.paths) => Object.values(group).flatMap((item) => Object.values(item).map((op) => op.operationId)).sort();
  const expected = [...idsOf(doc.paths), ...idsOf(doc.webhooks)].sort();
  t.ok(expected.length > 100, `the document has ${expected.length} operations and webhooks`);
  await page.waitFor(`document.querySelectorAll('.opblock').length >= ${expected.length}`, 'every operation to render');
  const rendered = await page.evaluate<string[]>(`[...document.querySelectorAll('.opblock')].map((e) => e.id.slice(e.id.lastIndexOf('-') + 1)).sort()`);
  t.same(rendered, expected, 'one operation block per operation and webhook of the document');
  t.ok(await page.evaluate(`!!document.querySelector('#operations-Departments-listDepartments') && !!document.querySelector('#operations-Meetings-sendMeetingInvitations')`), 'real operations are there by tag and id');
  t.equal(await page.evaluate(`document.querySelector('.auth-wrapper .btn.authorize')?.textContent`), 'Authorize', 'an Authorize button');

  const op = '#operations-Departments-listDepartments';
  const liveStatus = `document.querySelector('${op} .live-responses-table tbody .response-col_status')?.textContent`;
  await page.evaluate(`document.querySelector('${op} .opblock-summary-control').click()`);
  await page.waitFor(`!!document.querySelector('${op} .try-out__btn')`, 'Try it out');
  await page.evaluate(`document.querySelector('${op} .try-out__btn').click()`);
  await page.waitFor(`!!document.querySelector('${op} .execute')`, 'Execute');
  await page.evaluate(`document.querySelector('${op} .execute').click()`);
  t.equal(await page.waitFor(liveStatus, 'the answer without a key'), '401', 'without Authorize the API answers 401');

  await page.evaluate(`document.querySelector('.auth-wrapper .btn.authorize').click()`);
  await page.waitFor(`!!document.querySelector('#auth-bearer-value')`, 'the Authorize dialog');
  await page.evaluate(`document.querySelector('#auth-bearer-value').focus()`);
  await page.type(api.key);
  await page.evaluate(`document.querySelector('.auth-btn-wrapper .authorize').click()`);
  await page.waitFor(`!!document.querySelector('.auth-btn-wrapper .btn-done')`, 'the Close button');
  await page.evaluate(`document.querySelector('.auth-btn-wrapper .btn-done').click()`);
  await page.evaluate(`document.querySelector('${op} .btn-clear').click()`);
  await page.waitFor(`!document.querySelector('${op} .live-responses-table')`, 'the previous answer to clear');
  await page.evaluate(`document.querySelector('${op} .execute').click()`);
  t.equal(await page.waitFor(liveStatus, 'the answer with the key'), '200', 'with the key the API answers 200');
  t.match(await page.evaluate<string>(`document.querySelector('${op} .live-responses-table .microlight').textContent`), code, 'the answer lists the department');

  // The page itself loaded cleanly: nothing refused by its policy, no script error, nothing
  // fetched from anywhere but this server. The one expected complaint is the 401 tried above.
  const unexpected = page.log.problems.filter((p) => !/status of 401 .*\/v1\/departments/.test(p));
  t.same(unexpected, [], 'no console error, CSP violation or failed load');
  t.same(page.log.failed, [], 'no request failed');
  t.same(page.log.requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:')), [], 'every request went to this server');
});

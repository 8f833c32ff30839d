import type { Test } from 'tap';
import type { TestApp } from '../helpers.js';

/**
 * A key revoked through one API process is refused by another that had it cached, within
 * milliseconds (its cache would otherwise keep it for a minute): the revocation's hint reaches the
 * other process's LISTEN. Run directly and through PgBouncer (LISTEN on the direct connection).
 */
export async function keyRevocationScenario(t: Test, a: TestApp, attempts = 50): Promise<void> {
  const b = await a.anotherProcess();
  const created = await a.post('/v1/api-keys', { name: 'shared', scopes: ['read'] });
  const headers = { authorization: `Bearer ${created.body.secret}` };
  t.equal((await b.inject({ method: 'GET', url: '/v1/departments', headers })).statusCode, 200, 'the other process has the key cached');
  t.equal((await a.del(`/v1/api-keys/${created.body.id}`)).status, 204);
  let status = 200;
  for (let i = 0; i < attempts && status === 200; i++) {
    status = (await b.inject({ method: 'GET', url: '/v1/departments', headers })).statusCode;
    if (status === 200) await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(status, 401, 'the other process refuses it within milliseconds');
}

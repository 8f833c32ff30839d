import type { Test } from 'tap';
import { uniq, type Answer, type Caller, type TestApp } from './helpers.js';

/** Asserts a problem+json answer with `status`. */
export function problem(t: Test, res: Answer, status: number, what: string) {
  t.equal(res.status, status, `${what}: ${status} (got ${res.status} ${res.status !== status ? res.text.slice(0, 200) : ''})`);
  t.equal(res.headers['content-type'], 'application/problem+json', `${what}: problem+json`);
}

export async function newPerson(api: Caller, name = 'Ines Duarte') {
  const res = await api.post('/v1/people', { name, email: `${uniq('p')}@example.com` });
  if (res.status !== 201) throw new Error(`creating a person answered ${res.status} ${res.text}`);
  return res.body as { id: string };
}

/** A caller sending `secret` to `api`'s app, with `headers` on every request. */
export function callerWith(api: TestApp, secret: string, headers: Record<string, string> = {}): Caller {
  const request = (method: string, url: string, body?: unknown, extra: Record<string, string> = {}) =>
    api.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers, ...extra },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    key: secret,
    organizationId: api.organizationId,
    request,
    get: (url, h) => request('GET', url, undefined, h),
    post: (url, b, h) => request('POST', url, b ?? {}, h),
    patch: (url, b, h) => request('PATCH', url, b, h),
    put: (url, b, h) => request('PUT', url, b, h),
    del: (url, h) => request('DELETE', url, undefined, h),
  };
}

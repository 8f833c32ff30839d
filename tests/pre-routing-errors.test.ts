import t from 'tap';
import { connect, type AddressInfo } from 'node:net';
import { buildTestApp, uniq } from './helpers.js';

// Refusals raised before a route runs (Node's HTTP parser, the router, the content-type parsers)
// are problem+json like every other error. Driven over raw sockets, so that what is asserted is
// exactly the bytes a client receives, malformed requests included.

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Writes `raw` on a fresh connection and reads until the server closes it: one whole response. */
function exchange(port: number, raw: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 10 s; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`));
    }, 10_000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
    socket.write(raw);
  });
}

function parse(data: Buffer): RawAnswer {
  const text = data.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP header block in ${JSON.stringify(text.slice(0, 300))}`);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1];
  if (!status) throw new Error(`not an HTTP/1.1 status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rawBody = data.subarray(Buffer.byteLength(text.slice(0, split + 4)));
  if (headers['content-length'] === undefined || Number(headers['content-length']) !== rawBody.length) {
    throw new Error(`body of ${rawBody.length} bytes does not match content-length ${headers['content-length']}`);
  }
  return { status: Number(status), headers, body: JSON.parse(rawBody.toString('utf8')) as Record<string, unknown> };
}

t.test('every refusal before routing is a complete problem+json answer', async (t) => {
  const api = await buildTestApp(t);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (api.app.server.address() as AddressInfo).port;
  const auth = `authorization: Bearer ${api.key}\r\n`;
  const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\n${auth}${extra}connection: close\r\n\r\n`;
  const post = (type: string, body: string) =>
    `POST /v1/departments HTTP/1.1\r\nhost: 127.0.0.1\r\n${auth}content-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
  const departmentBody = JSON.stringify({ name: uniq('Plain'), code: 'PLAIN' });

  const cases: { name: string; raw: string; status: number; type: string; detail: RegExp }[] = [
    { name: 'a path parameter over the router limit', raw: get(`/v1/departments/${'a'.repeat(201)}`), status: 414, type: '/problems/uri-too-long', detail: /longer than the 200 characters/ },
    { name: 'a malformed percent-encoding in the path', raw: get('/v1/departments/%E0%A4%A'), status: 400, type: '/problems/invalid-request', detail: /percent-encoded/ },
    { name: 'a 20 KB query string', raw: get(`/v1/departments?q=${'q'.repeat(20_000)}`), status: 431, type: '/problems/headers-too-large', detail: /exceed 16384 bytes/ },
    { name: 'a 20 KB header', raw: get('/v1/departments', `x-padding: ${'p'.repeat(20_000)}\r\n`), status: 431, type: '/problems/headers-too-large', detail: /exceed 16384 bytes/ },
    { name: 'a garbage request line', raw: 'this is not http at all\r\n\r\n', status: 400, type: '/problems/invalid-request', detail: /HTTP method|malformed/ },
    { name: 'a request line without a version', raw: 'GET /v1/departments HTTP/x\r\n\r\n', status: 400, type: '/problems/invalid-request', detail: /malformed/ },
    { name: 'a method Node rejects', raw: 'BREW /v1/departments HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n', status: 400, type: '/problems/invalid-request', detail: /HTTP method/ },
    { name: 'CONNECT, which Node hands past Fastify', raw: 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nhost: 127.0.0.1:443\r\n\r\n', status: 501, type: '/problems/not-implemented', detail: /not a proxy/ },
    { name: 'a header name with a space', raw: 'GET /v1/departments HTTP/1.1\r\nhost: 127.0.0.1\r\nbad header: x\r\n\r\n', status: 400, type: '/problems/invalid-request', detail: /header field is malformed/ },
    { name: 'text/plain on a JSON route', raw: post('text/plain', departmentBody), status: 415, type: '/problems/unsupported-media-type', detail: /Unsupported Content-Type/ },
    { name: 'text/plain with a charset', raw: post('text/plain; charset=utf-8', departmentBody), status: 415, type: '/problems/unsupported-media-type', detail: /Unsupported Content-Type/ },
    { name: 'an unknown content type', raw: post('application/x-liaison-unknown', departmentBody), status: 415, type: '/problems/unsupported-media-type', detail: /Unsupported Content-Type/ },
  ];

  for (const c of cases) {
    const res = await exchange(port, c.raw);
    t.equal(res.status, c.status, `${c.name}: status`);
    t.equal(res.headers['content-type'], 'application/problem+json', `${c.name}: content type`);
    t.match(res.body, { type: c.type, title: String, status: c.status, detail: c.detail, requestId: String }, `${c.name}: body`);
    t.equal(res.headers['x-request-id'], res.body.requestId, `${c.name}: the request id is in the header and the body`);
    t.equal(res.headers['cache-control'], 'no-store', `${c.name}: not cached`);
    t.notMatch(JSON.stringify(res.body), /FST_|HPE_|"error"|statusCode/, `${c.name}: no framework wording leaks`);
  }
  t.equal(await api.count('departments'), 0, 'no refused request created anything');

  // The same server still serves good requests, on raw sockets and through fetch.
  const fine = await exchange(port, post('application/json', departmentBody));
  t.equal(fine.status, 201);
  t.match(fine.body, { code: 'PLAIN' });
});

t.test('the parser refusal answers once and closes the connection', async (t) => {
  const api = await buildTestApp(t);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (api.app.server.address() as AddressInfo).port;
  // The bad request is followed by more bytes on the same connection: they are not answered
  // again (one response, then the close), and a good request pipelined after is not served.
  const raw = `GET /v1/departments HTTP/1.1\r\nhost: x\r\nx-padding: ${'p'.repeat(20_000)}\r\n\r\n${'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(50)}`;
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  socket.write(raw);
  const ended = await Promise.race([new Promise((r) => socket.on('end', () => r(true))), new Promise((r) => setTimeout(() => r(false), 10_000))]);
  socket.destroy();
  t.ok(ended, 'the server closed the connection');
  const text = Buffer.concat(chunks).toString('utf8');
  t.equal(text.match(/HTTP\/1\.1 /g)?.length, 1, 'exactly one response on the connection');
  const res = parse(Buffer.concat(chunks));
  t.equal(res.status, 431);
  t.equal(res.headers.connection, 'close');
  t.match(res.body.requestId, /^[0-9a-f-]{36}$/, 'a request id made up for the refusal');
});

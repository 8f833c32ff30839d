import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import { CHUNK_BYTES } from '../src/materials/storage.js';
import { buildTestApp } from './helpers.js';
import { insertMeeting, materialCounts, multipartBody } from './materials-helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('download over real HTTP: bytes, ETag, 304, UTF-8 Content-Disposition', async (t) => {
  const api = await buildTestApp(t);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  const auth = { authorization: `Bearer ${api.key}` };
  const meeting = await insertMeeting(api, { dueInHours: -2 });

  // Several stored pieces and a partial last one, uploaded the way a browser form does.
  const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2 * CHUNK_BYTES + 12345)]);
  const form = new FormData();
  form.append('title', 'Quarterly plan');
  form.append('required', 'true');
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), '季度计划.pdf');
  const res = await fetch(`${origin}/v1/meetings/${meeting.id}/materials`, { method: 'POST', headers: auth, body: form });
  t.equal(res.status, 201);
  const created = (await res.json()) as Record<string, unknown>;
  t.match(created, { title: 'Quarterly plan', fileName: '季度计划.pdf', sizeBytes: bytes.length, sha256: sha(bytes), required: true, late: true, contentType: 'application/pdf' });
  t.equal(await api.count('material_file_chunks'), 3, 'stored in 256 KiB pieces');

  const url = `${origin}/v1/materials/${String(created.id)}/content`;
  const download = await fetch(url, { headers: auth });
  t.equal(download.status, 200);
  const body = Buffer.from(await download.arrayBuffer());
  t.equal(body.length, bytes.length);
  t.ok(body.equals(bytes), 'the same bytes come back');
  const etag = `"${sha(bytes)}"`;
  t.equal(download.headers.get('etag'), etag);
  t.equal(download.headers.get('content-type'), 'application/pdf');
  t.equal(download.headers.get('content-length'), String(bytes.length));
  t.equal(download.headers.get('x-content-type-options'), 'nosniff');
  const disposition = download.headers.get('content-disposition')!;
  t.equal(disposition, `attachment; filename="____.pdf"; filename*=UTF-8''${encodeURIComponent('季度计划.pdf')}`);
  const star = /filename\*=UTF-8''([^;]+)/.exec(disposition)![1]!;
  t.equal(decodeURIComponent(star), '季度计划.pdf', 'the UTF-8 name survives');

  const cached = await fetch(url, { headers: { ...auth, 'if-none-match': etag } });
  t.equal(cached.status, 304);
  t.equal(cached.headers.get('etag'), etag);
  t.equal((await cached.arrayBuffer()).byteLength, 0);
  const weak = await fetch(url, { headers: { ...auth, 'if-none-match': `"other", W/${etag}` } });
  t.equal(weak.status, 304, 'a list and a weak tag match too');
  const stale = await fetch(url, { headers: { ...auth, 'if-none-match': '"0000"' } });
  t.equal(stale.status, 200);
  await stale.arrayBuffer();

  const unauthenticated = await fetch(url);
  t.equal(unauthenticated.status, 401);
  await unauthenticated.arrayBuffer();
});

t.test('an upload the client abandons half-way leaves nothing behind and blocks nothing', async (t) => {
  const api = await buildTestApp(t);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (api.app.server.address() as AddressInfo).port;
  const meeting = await insertMeeting(api);
  const before = await materialCounts(api);
  const { payload, contentType } = multipartBody([{ fileName: 'big.pdf', data: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(4 * CHUNK_BYTES)]) }]);
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    `POST /v1/meetings/${meeting.id}/materials HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.key}\r\nContent-Type: ${contentType}\r\nContent-Length: ${payload.length}\r\n\r\n`,
  );
  socket.write(payload.subarray(0, 2 * CHUNK_BYTES));
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(await materialCounts(api), before, 'the abandoned upload rolled back');
  // …rather than hanging in an open transaction or an unfinished COPY.
  let open = -1;
  for (let i = 0; i < 30 && open !== 0; i++) {
    const [row] = await api.database.sql`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and (state like 'idle in transaction%' or (state = 'active' and query ilike 'copy%'))`;
    open = row!.n as number;
    if (open !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.equal(open, 0, 'no transaction is left open');

  const form = new FormData();
  form.append('file', new Blob([Buffer.from('%PDF-1.4\nsmall')], { type: 'application/pdf' }), 'small.pdf');
  const res = await fetch(`http://127.0.0.1:${port}/v1/meetings/${meeting.id}/materials`, { method: 'POST', headers: { authorization: `Bearer ${api.key}` }, body: form });
  t.equal(res.status, 201, 'the next upload goes through');
  await res.arrayBuffer();
});

import t from 'tap';
import { validateHeaderValue } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'content-disposition';
import { contentDisposition } from '../src/materials/content-type.js';
import { buildTestApp } from './helpers.js';
import { insertMeeting, pdfBytes } from './materials-helpers.js';

// File names in `Content-Disposition`, read back by a real parser (the `content-disposition`
// package, as Express and @fastify/static use it) and accepted by Node's own header check: the
// exact name from `filename*`, a harmless ASCII stand-in in `filename`, and never a parameter or
// header line of the name's own.

const names: [name: string, fallback: string][] = [
  ['report.pdf', 'report.pdf'],
  ['a"b.pdf', 'a_b.pdf'],
  ['x"; filename="evil.exe', 'x_; filename=_evil.exe'],
  ['back\\slash.pdf', 'back_slash.pdf'],
  ['semi;colon,comma.pdf', 'semi;colon,comma.pdf'],
  ['100%41 done %.pdf', '100%41 done %.pdf'],
  ["O'Brien (draft) *v2*.pdf", "O'Brien (draft) *v2*.pdf"],
  ['季度计划.pdf', '____.pdf'],
  ['emoji 😀.pdf', 'emoji _.pdf'],
  ['Ünïcödé Náme.docx', '_n_c_d_ N_me.docx'],
  ['tab\there\r\nSet-Cookie: a=1.pdf', 'tab_here__Set-Cookie: a=1.pdf'],
];

t.test('every file name survives a real Content-Disposition parser exactly', async (t) => {
  for (const [name, fallback] of names) {
    const header = contentDisposition(name);
    t.doesNotThrow(() => validateHeaderValue('content-disposition', header), `${JSON.stringify(name)}: a valid header value`);
    const parsed = parse(header);
    t.equal(parsed.type, 'attachment');
    t.equal(parsed.parameters.filename, name, `${JSON.stringify(name)}: read back exactly`);
    t.same(Object.keys(parsed.parameters).filter((k) => k !== 'filename' && k !== 'filename*'), [], `${JSON.stringify(name)}: no parameter of its own`);
    // A client that knows only the plain parameter gets the stand-in.
    const plainOnly = parse(header.replace(/; filename\*=[^;]*$/, ''));
    t.equal(plainOnly.parameters.filename, fallback, `${JSON.stringify(name)}: ASCII stand-in`);
    t.equal(header.includes('filename*='), fallback !== name || /%[0-9A-F]{2}/i.test(name), `${JSON.stringify(name)}: extended parameter only when needed`);
  }
  // Text that has no UTF-8 form (a lone surrogate) is sent as U+FFFD instead of failing the download.
  t.equal(parse(contentDisposition('bad\uD800.pdf')).parameters.filename, 'bad\uFFFD.pdf');
});

t.test('downloads and calendars over real HTTP name their file through the same encoder', async (t) => {
  const api = await buildTestApp(t);
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  const auth = { authorization: `Bearer ${api.key}` };
  const meeting = await insertMeeting(api);
  for (const name of ['季度计划 😀.pdf', 'semi;colon 100%41.pdf', "O'Brien (draft) *v2*.pdf", 'a"b.pdf']) {
    const form = new FormData();
    form.append('file', new Blob([pdfBytes()], { type: 'application/pdf' }), name);
    const res = await fetch(`${origin}/v1/meetings/${meeting.id}/materials`, { method: 'POST', headers: auth, body: form });
    t.equal(res.status, 201, name);
    const created = (await res.json()) as { id: string; fileName: string };
    if (!name.includes('"')) t.equal(created.fileName, name, 'stored as sent');
    const download = await fetch(`${origin}/v1/materials/${created.id}/content`, { headers: auth });
    t.equal(download.status, 200);
    await download.arrayBuffer();
    t.equal(parse(download.headers.get('content-disposition')!).parameters.filename, created.fileName, `${name}: the stored name, exactly`);
  }
  const ics = await fetch(`${origin}/v1/meetings/${meeting.id}/calendar.ics`, { headers: auth });
  await ics.text();
  t.same(parse(ics.headers.get('content-disposition')!), { type: 'attachment', parameters: { filename: `meeting-${meeting.id}.ics` } });
});

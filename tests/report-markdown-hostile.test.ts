import t from 'tap';
import MarkdownIt from 'markdown-it';
import { HtmlRenderer, Parser } from 'commonmark';
import { parseFragment, type DefaultTreeAdapterMap } from 'parse5';
import { buildTestApp, uniq } from './helpers.js';

// The leader's Markdown report, with hostile titles, names and objectives, rendered by two
// CommonMark renderers that pass raw HTML through (markdown-it with `html` and `linkify`;
// commonmark.js, whose HtmlRenderer is unsafe by default), and the HTML read by a browser-grade
// parser (parse5): only the elements the report writes may appear, with no attribute at all, and
// every hostile text must still be there as text.

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const attacks = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '</td><iframe src="javascript:alert(1)"></iframe>',
  '[x](javascript:alert(1))',
  '![pixel](https://evil.example/p.png)',
  '<https://evil.example/auto>',
  'https://evil.example/bare www.evil.example mail@evil.example',
  '**bold** _em_ ~~gone~~ `code` &lt;b&gt; &amp; | cell | \\',
];
// Each field gets its own mix, with a tag that names it.
const hostile = (field: string, i: number) => `${field}: ${attacks[i % attacks.length]} ${attacks[(i + 3) % attacks.length]}`;
// At the start of a line, text can open blocks of its own.
const objective = [
  '# not a heading', '> not a quote', '- not a list', '1. not a list either', '===', '    not code', '```', '<div onclick="alert(1)">',
  '<!-- comment -->', '[ref]: javascript:alert(1)', ...attacks,
].join('\n');

// What the report itself writes (headings, lists, bold, the objective's quote, tables, "None").
const allowed = new Set(['h1', 'h2', 'ul', 'li', 'strong', 'em', 'blockquote', 'p', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);

function elements(node: Node, out: Element[] = []): Element[] {
  if ('tagName' in node) out.push(node);
  if ('childNodes' in node) for (const c of node.childNodes) elements(c as Node, out);
  if (node.nodeName === 'template') elements((node as DefaultTreeAdapterMap['template']).content, out);
  return out;
}
function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return 'childNodes' in node ? node.childNodes.map((c) => textOf(c as Node)).join('') : '';
}

t.test('hostile text in the Markdown report renders as text, in two CommonMark renderers', async (t) => {
  const api = await buildTestApp(t);
  let n = 0;
  const ok = async (res: Promise<{ status: number; text: string; body: { id: string } }>, status = 201) => {
    const r = await res;
    if (r.status !== status) throw new Error(`${r.status} ${r.text}`);
    return r.body.id;
  };
  const dept = await ok(api.post('/v1/departments', { name: hostile('department', n++), code: uniq('A_b_.c').replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 32) }));
  const person = (label: string) => ok(api.post('/v1/people', { name: hostile(label, n++).slice(0, 200), email: `${uniq('p')}@example.com`, departmentId: dept }));
  const [sponsor, owner] = [await person('sponsor'), await person('owner')];
  const ini = await ok(api.post('/v1/initiatives', { title: hostile('initiative', n++), objective, sponsorId: sponsor, ownerId: owner, departmentIds: [dept] }));
  await ok(api.post(`/v1/initiatives/${ini}/goals`, { title: hostile('goal', n++), metric: hostile('metric', n++), unit: '<b>u</b>', baseline: 1, target: 5, current: 2 }));

  const hour = 3600_000;
  const meeting = (label: string, startsAt: number) =>
    ok(api.post('/v1/meetings', {
      title: hostile(label, n++), startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + hour).toISOString(), timeZone: 'UTC',
      initiativeId: ini, participants: [{ personId: owner }],
    }));
  const held = await meeting('held meeting', Date.now() - 2 * hour);
  for (const step of ['invitations', 'start']) await ok(api.post(`/v1/meetings/${held}/${step}`, {}), 200);
  await ok(api.post(`/v1/meetings/${held}/decisions`, { title: hostile('decision', n++), statement: hostile('statement', n++) }));
  await ok(api.post(`/v1/meetings/${held}/end`, {}), 200);
  await meeting('coming meeting', Date.now() + 48 * hour);
  await ok(api.post('/v1/issues', { title: hostile('overdue issue', n++), ownerId: owner, initiativeId: ini, departmentId: dept, dueAt: new Date(Date.now() - hour).toISOString() }));
  await ok(api.post('/v1/issues', { title: hostile('due issue', n++), ownerId: sponsor, initiativeId: ini, dueAt: new Date(Date.now() + 72 * hour).toISOString() }));

  const report = (await api.get(`/v1/initiatives/${ini}/report`)).body;
  const res = await api.get(`/v1/initiatives/${ini}/report`, { accept: 'text/markdown' });
  t.equal(res.status, 200, res.text);
  t.equal(report.meetings.held.length, 1, 'a meeting was held');
  t.equal(report.decisionsInForce.length, 1, 'a decision is in force');
  t.equal(report.issues.overdue.length, 1, 'an issue is overdue');
  t.ok(report.nextSteps.nextMeeting && report.nextSteps.dueIssues.length === 1, 'next steps are listed');
  // Every text of the report as a person typed it, on one line where the report puts it on one.
  const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const texts = [
    report.initiative.title, report.sponsor.name, report.owner.name, report.goals[0].title, report.goals[0].metric,
    report.meetings.held[0].title, report.meetings.coming[0].title, report.decisionsInForce[0].title, report.decisionsInForce[0].statement,
    report.issues.overdue[0].title, report.issues.overdue[0].department.name, report.nextSteps.dueIssues[0].title,
  ].map(oneLine);

  const renderers: [string, (md: string) => string][] = [
    ['markdown-it (html, linkify)', (md) => new MarkdownIt({ html: true, linkify: true }).render(md)],
    ['commonmark.js', (md) => new HtmlRenderer().render(new Parser().parse(md))],
  ];
  for (const [name, render] of renderers) {
    await t.test(name, async (t) => {
      const html = render(res.text);
      const tree = parseFragment(html);
      const found = elements(tree as unknown as Node);
      t.same([...new Set(found.map((e) => e.tagName))].filter((tag) => !allowed.has(tag)), [], 'only elements the report writes');
      t.same(found.filter((e) => e.attrs.length).map((e) => `${e.tagName} ${e.attrs.map((a) => a.name).join(' ')}`), [], 'no element has an attribute (no href, src, on…)');
      t.ok(found.some((e) => e.tagName === 'blockquote'), 'the objective is quoted');
      const visible = textOf(tree as unknown as Node);
      for (const text of texts) t.ok(visible.includes(text), `shown as typed: ${text.slice(0, 40)}`);
      for (const line of objective.split('\n')) t.ok(visible.includes(line.trim()), `objective line shown as typed: ${line}`);
      t.ok(visible.includes('<b>u</b>'), 'a unit shown as typed');
      if (name.startsWith('markdown-it')) {
        // Pipes in the text split no cell: every row has its header's number of cells.
        for (const table of found.filter((e) => e.tagName === 'table')) {
          const rows = elements(table).filter((e) => e.tagName === 'tr');
          const width = (tr: Element) => tr.childNodes.filter((c) => 'tagName' in c).length;
          t.same(rows.map(width), rows.map(() => width(rows[0]!)), 'no ragged table row');
        }
        t.equal(found.filter((e) => e.tagName === 'h1').length, 1, 'one heading 1: the title');
        const sections = [report.goals, report.meetings.held, report.meetings.coming, report.decisionsInForce, report.issues.overdue, report.issues.open, report.issues.resolved, report.departmentsNeedingAttention];
        t.equal(found.filter((e) => e.tagName === 'table').length, sections.filter((s) => s.length).length, 'one table per section with entries');
      }
    });
  }
});

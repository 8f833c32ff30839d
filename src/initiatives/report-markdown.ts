import { composed, markdownLines, markdownText as md, type Markdown } from '../platform/markdown-text.js';
import type { InitiativeReport, ReportIssue, ReportMeeting } from './report-schemas.js';

// Every piece of data reaches the page through `md` (the Markdown encoder) or one of the
// formatters below, which compose only digits and the report's own words: the `Markdown` type
// lets nothing else into a table, heading or list.

const none = composed('—');
const when = (ts: string | null) => (ts ? composed(`${ts.slice(0, 10)} ${ts.slice(11, 16)} UTC`) : null);
const day = (ts: string | null) => (ts ? composed(ts.slice(0, 10)) : null);
const percent = (x: number | null) => (x === null ? null : composed(`${Math.round(x * 100)}%`));
const num = (x: number | null, unit: string | null) => (x === null ? null : unit ? composed(`${x} ${md(unit)}`) : composed(String(x)));
const nameOf = (ref: { name: string } | null, fallback: string) => (ref ? md(ref.name) : composed(fallback));
const department = (d: { name: string; code: string } | null) => (d ? composed(`${md(d.name)} (${md(d.code)})`) : null);

type Cell = Markdown | null;

function table(headers: string[], rows: Cell[][]): string {
  const head = `| ${headers.join(' | ')} |\n| ${headers.map(() => '---').join(' | ')} |`;
  return [head, ...rows.map((r) => `| ${r.map((c) => c || none).join(' | ')} |`)].join('\n');
}

function section(title: string, total: number, shown: number, body: () => string): string {
  const more = total > shown ? ` (showing ${shown} of ${total})` : '';
  // A section can count what it does not show: the lines of confidential meetings (SPEC §8).
  return `## ${title}${more}\n\n${total === 0 ? '_None._' : shown === 0 ? '_None shown._' : body()}\n`;
}

const meetingTable = (ms: ReportMeeting[]) =>
  table(
    ['Date', 'Meeting', 'Status', 'Attendance', 'Materials on time'],
    ms.map((m) => [
      when(m.startsAt),
      md(m.title),
      md(m.status),
      m.participants ? composed(`${m.attended}/${m.participants} (${percent(m.attendanceRate)})`) : null,
      m.materialsOnTime === null ? null : composed(m.materialsOnTime ? 'yes' : `no (${m.materialsLate} of ${m.materials} late)`),
    ]),
  );

const issueTable = (is: ReportIssue[], dateTitle: string, date: (i: ReportIssue) => Cell) =>
  table(
    ['Issue', 'Owner', 'Department', dateTitle, 'Status'],
    is.map((i) => [md(i.title), i.owner ? md(i.owner.name) : null, department(i.department), date(i), md(i.status)]),
  );

/** The report as a Markdown page a leader can read in a mail client. */
export function reportMarkdown(r: InitiativeReport): string {
  const i = r.initiative;
  const period = `${r.from ? day(r.from) : 'start'} – ${day(r.to)}`;
  const out: string[] = [];
  out.push(`# ${md(i.title)}\n`);
  out.push(
    [
      `- **Status:** ${md(i.status)}`,
      `- **Sponsor:** ${nameOf(r.sponsor, '—')}`,
      `- **Owner:** ${nameOf(r.owner, '—')}`,
      `- **Period:** ${period}`,
      i.targetDate ? `- **Target date:** ${md(i.targetDate)}` : null,
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
  if (i.objective) out.push(`> ${markdownLines(i.objective).join('\n> ')}\n`);

  out.push(
    section('Goals', r.goals.length, r.goals.length, () =>
      table(
        ['Goal', 'Metric', 'Baseline', 'Target', 'Current', 'Progress', 'Due', 'Trend'],
        r.goals.map((g) => [
          md(g.title), g.metric ? md(g.metric) : null, num(g.baseline, g.unit), num(g.target, g.unit), num(g.current, g.unit), percent(g.progress), g.dueDate ? md(g.dueDate) : null,
          g.trend.length ? composed(g.trend.map((t) => (t.value === null ? '—' : String(t.value))).join(' → ')) : null,
        ]),
      ),
    ),
  );
  out.push(section('Meetings held', r.counts.meetingsHeld, r.meetings.held.length, () => meetingTable(r.meetings.held)));
  out.push(section('Coming meetings', r.counts.meetingsComing, r.meetings.coming.length, () => meetingTable(r.meetings.coming)));
  out.push(
    section('Decisions in force', r.counts.decisionsInForce, r.decisionsInForce.length, () =>
      table(['Decided', 'Decision', 'Statement'], r.decisionsInForce.map((d) => [day(d.decidedAt), md(d.title), md(d.statement)])),
    ),
  );
  out.push(section('Overdue issues', r.counts.issuesOverdue, r.issues.overdue.length, () => issueTable(r.issues.overdue, 'Due', (x) => day(x.dueAt))));
  out.push(section('Open issues', r.counts.issuesOpen, r.issues.open.length, () => issueTable(r.issues.open, 'Due', (x) => day(x.dueAt))));
  out.push(
    section('Resolved in the period', r.counts.issuesResolved, r.issues.resolved.length, () => issueTable(r.issues.resolved, 'Resolved', (x) => day(x.resolvedAt))),
  );
  out.push(
    section('Departments needing attention', r.departmentsNeedingAttention.length, r.departmentsNeedingAttention.length, () =>
      table(
        ['Department', 'Meetings missed', 'Overdue issues'],
        r.departmentsNeedingAttention.map((d) => [department(d.department), composed(`${d.meetingsMissed} of ${d.meetingsHeld}`), composed(String(d.overdueIssues))]),
      ),
    ),
  );

  const steps: string[] = [];
  const next = r.nextSteps.nextMeeting;
  if (next) steps.push(`- Next meeting: **${md(next.title)}** on ${when(next.startsAt)}`);
  for (const d of r.nextSteps.dueIssues) {
    steps.push(`- ${md(d.title)} — ${nameOf(d.owner, 'no owner')}, due ${day(d.dueAt)}`);
  }
  out.push(`## Next steps\n\n${steps.length ? steps.join('\n') : '_None scheduled._'}\n`);
  return out.join('\n');
}

import type { InitiativeReport, ReportIssue, ReportMeeting } from './report-schemas.js';

/** Text safe inside a table cell: pipes and backslashes escaped, line breaks folded. */
export function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return String(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Text safe on one line outside a table (headings, list items). */
const inline = (value: string) => value.replace(/\s*[\r\n]+\s*/g, ' ');

const when = (ts: string | null) => (ts ? `${ts.slice(0, 10)} ${ts.slice(11, 16)} UTC` : null);
const day = (ts: string | null) => (ts ? ts.slice(0, 10) : null);
const percent = (x: number | null) => (x === null ? null : `${Math.round(x * 100)}%`);
const num = (x: number | null, unit: string | null) => (x === null ? null : unit ? `${x} ${unit}` : String(x));

function table(headers: string[], rows: (string | number | null)[][]): string {
  const head = `| ${headers.join(' | ')} |\n| ${headers.map(() => '---').join(' | ')} |`;
  return [head, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function section(title: string, total: number, shown: number, body: () => string): string {
  const more = total > shown ? ` (showing ${shown} of ${total})` : '';
  return `## ${title}${more}\n\n${total === 0 ? '_None._' : body()}\n`;
}

const meetingTable = (ms: ReportMeeting[]) =>
  table(
    ['Date', 'Meeting', 'Status', 'Attendance', 'Materials on time'],
    ms.map((m) => [
      when(m.startsAt),
      m.title,
      m.status,
      m.participants ? `${m.attended}/${m.participants} (${percent(m.attendanceRate)})` : null,
      m.materialsOnTime === null ? null : m.materialsOnTime ? 'yes' : `no (${m.materialsLate} of ${m.materials} late)`,
    ]),
  );

const issueTable = (is: ReportIssue[], dateTitle: string, date: (i: ReportIssue) => string | null) =>
  table(
    ['Issue', 'Owner', 'Department', dateTitle, 'Status'],
    is.map((i) => [i.title, i.owner?.name ?? null, i.department ? `${i.department.name} (${i.department.code})` : null, date(i), i.status]),
  );

/** The report as a Markdown page a leader can read in a mail client. */
export function reportMarkdown(r: InitiativeReport): string {
  const i = r.initiative;
  const period = `${r.from ? day(r.from) : 'start'} – ${day(r.to)}`;
  const out: string[] = [];
  out.push(`# ${inline(i.title)}\n`);
  out.push(
    [
      `- **Status:** ${i.status}`,
      `- **Sponsor:** ${inline(r.sponsor?.name ?? '—')}`,
      `- **Owner:** ${inline(r.owner?.name ?? '—')}`,
      `- **Period:** ${period}`,
      i.targetDate ? `- **Target date:** ${i.targetDate}` : null,
    ]
      .filter(Boolean)
      .join('\n') + '\n',
  );
  if (i.objective) out.push(`> ${i.objective.replace(/\r?\n/g, '\n> ')}\n`);

  out.push(
    section('Goals', r.goals.length, r.goals.length, () =>
      table(
        ['Goal', 'Metric', 'Baseline', 'Target', 'Current', 'Progress', 'Due', 'Trend'],
        r.goals.map((g) => [
          g.title, g.metric, num(g.baseline, g.unit), num(g.target, g.unit), num(g.current, g.unit), percent(g.progress), g.dueDate,
          g.trend.length ? g.trend.map((t) => (t.value === null ? '—' : String(t.value))).join(' → ') : null,
        ]),
      ),
    ),
  );
  out.push(section('Meetings held', r.counts.meetingsHeld, r.meetings.held.length, () => meetingTable(r.meetings.held)));
  out.push(section('Coming meetings', r.counts.meetingsComing, r.meetings.coming.length, () => meetingTable(r.meetings.coming)));
  out.push(
    section('Decisions in force', r.counts.decisionsInForce, r.decisionsInForce.length, () =>
      table(['Decided', 'Decision', 'Statement'], r.decisionsInForce.map((d) => [day(d.decidedAt), d.title, d.statement])),
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
        r.departmentsNeedingAttention.map((d) => [`${d.department.name} (${d.department.code})`, `${d.meetingsMissed} of ${d.meetingsHeld}`, d.overdueIssues]),
      ),
    ),
  );

  const steps: string[] = [];
  const next = r.nextSteps.nextMeeting;
  if (next) steps.push(`- Next meeting: **${inline(next.title)}** on ${when(next.startsAt)}`);
  for (const d of r.nextSteps.dueIssues) {
    steps.push(`- ${inline(d.title)} — ${inline(d.owner?.name ?? 'no owner')}, due ${day(d.dueAt)}`);
  }
  out.push(`## Next steps\n\n${steps.length ? steps.join('\n') : '_None scheduled._'}\n`);
  return out.join('\n');
}

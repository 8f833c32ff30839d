// What each searchable type is searched over. Each table has a btree on
// (organization_id, created_at, id), from which search reads a common word's hits in rank order.
// `doc` must stay identical (as parsed SQL) to the
// expressions indexed by db/migrations/0012_outcomes_search_indexes.sql
// (trigram and short-gram GIN), or the planner cannot use them and search degrades to a scan of the
// organisation's rows.

export const searchTypes = ['meeting', 'decision', 'issue', 'material'] as const;
export type SearchType = (typeof searchTypes)[number];

export interface SearchSource {
  table: string;
  /** The searched text (alias `t`): the fields joined by newlines. */
  doc: string;
  title: string;
  meetingId: string;
}

export const searchSources: Record<SearchType, SearchSource> = {
  meeting: {
    table: 'meetings',
    doc: `(coalesce(t.title, '') || E'\\n' || coalesce(t.objective, ''))`,
    title: 't.title',
    meetingId: 't.id',
  },
  decision: {
    table: 'decisions',
    doc: `(coalesce(t.title, '') || E'\\n' || coalesce(t.statement, '') || E'\\n' || coalesce(t.rationale, ''))`,
    title: 't.title',
    meetingId: 't.meeting_id',
  },
  issue: {
    table: 'issues',
    doc: `(coalesce(t.title, '') || E'\\n' || coalesce(t.description, ''))`,
    title: 't.title',
    meetingId: 't.meeting_id',
  },
  material: {
    table: 'materials',
    doc: `(coalesce(t.title, '') || E'\\n' || coalesce(t.file_name, ''))`,
    title: 't.title',
    meetingId: 't.meeting_id',
  },
};

/** A short excerpt of `doc` around the first match of `q`, on one line. */
export function snippetOf(doc: string, q: string, before = 60, after = 100): string {
  const at = Math.max(0, doc.toLowerCase().indexOf(q.toLowerCase()));
  const start = Math.max(0, at - before);
  const end = Math.min(doc.length, at + q.length + after);
  const text = doc.slice(start, end).replace(/\s+/g, ' ').trim();
  return `${start > 0 ? '…' : ''}${text}${end < doc.length ? '…' : ''}`;
}

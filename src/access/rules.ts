/**
 * What a person may do (SPEC §8), as the rules routes declare with `config.access`
 * (src/access/authorize.ts enforces them). An integration key acting as itself passes every rule
 * (its scopes still apply); a person-bound key, or an integration key acting on behalf of a person,
 * passes a rule only as that person. Each rule's text is what a refusal (403) says.
 */
export const ACCESS_RULES = {
  member: 'any key of the organisation, and any person',
  integration: 'integration keys acting as themselves, not a person',
  self: 'a person answering for itself only',
  participant: "the meeting's organizer and participants",
  'agenda-item-owner': "the agenda item's owner",
  'issue-owner': "the issue's owner",
  'minutes-editor': "the meeting's note taker, chair and organizer",
  'decision-recorder': "the meeting's chair and organizer",
} as const;

export type AccessRule = keyof typeof ACCESS_RULES;

export const isAccessRule = (value: unknown): value is AccessRule => typeof value === 'string' && Object.hasOwn(ACCESS_RULES, value);

/** What a person is to a meeting: its organizer, and its participant role (null when not one). */
export interface MeetingStanding {
  organizer: boolean;
  role: string | null;
}

/** Whether a person of `standing` passes a meeting rule. */
export function meetingRulePasses(rule: 'participant' | 'minutes-editor' | 'decision-recorder', standing: MeetingStanding): boolean {
  if (standing.organizer) return true;
  if (rule === 'participant') return standing.role !== null;
  if (rule === 'minutes-editor') return standing.role === 'note_taker' || standing.role === 'chair';
  return standing.role === 'chair';
}

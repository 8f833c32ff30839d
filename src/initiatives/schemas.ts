import { z } from 'zod';
import { DateOnly, Id, optionalText, resourceMeta, text, Timestamp } from '../platform/schemas.js';

export const initiativeStatuses = ['planned', 'active', 'completed', 'cancelled'] as const;
export const InitiativeStatus = z
  .enum(initiativeStatuses)
  .describe('`planned` → `active` → `completed`; `planned` or `active` → `cancelled`. Any other change is 409.');

const departmentIds = z
  .array(Id)
  .max(50)
  .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a department')
  .describe('The departments asked to work this out together, in the order given.');

const initiativeFields = {
  title: text(300),
  objective: optionalText(10_000).describe('What the leader asked for, in the words of the request.'),
  sponsorId: Id.describe('The leader who asked for it; kept in sync with the `sponsor` member.'),
  ownerId: Id.describe('The person answerable for it; kept in sync with the `owner` member. Must differ from the sponsor.'),
  departmentIds,
  startDate: DateOnly.nullable().optional(),
  targetDate: DateOnly.nullable().optional().describe('Not before `startDate`.'),
};

export const NewInitiative = z
  .strictObject({
    ...initiativeFields,
    departmentIds: departmentIds.optional(),
    status: z.enum(['planned', 'active']).optional().describe('Defaults to `planned`.'),
  })
  .meta({ id: 'NewInitiative' });

export const InitiativePatch = z
  .strictObject({ ...initiativeFields, status: InitiativeStatus })
  .partial()
  .meta({ id: 'InitiativePatch' });

export const Initiative = z
  .object({
    ...resourceMeta,
    title: z.string(),
    objective: z.string().nullable(),
    sponsorId: Id.nullable(),
    ownerId: Id.nullable(),
    departmentIds: z.array(Id),
    status: InitiativeStatus,
    startDate: DateOnly.nullable(),
    targetDate: DateOnly.nullable(),
  })
  .meta({ id: 'Initiative' });

const measure = z.number().min(-1e15).max(1e15);

const goalFields = {
  title: text(300),
  metric: text(300).describe('What is measured, e.g. "cross-department approval time".'),
  unit: optionalText(50).describe('e.g. `days`, `%`, `CNY`.'),
  baseline: measure.describe('The value when the goal was set.'),
  target: measure.describe('The value to reach; below the baseline for a goal that reduces something.'),
  current: measure.nullable().optional().describe('The latest measured value; each change is kept as a dated measurement.'),
  dueDate: DateOnly.nullable().optional(),
  measuredAt: Timestamp.optional().describe(
    'When a new `current` was measured (default: now). Not in the future and not before the previous measurement.',
  ),
};

export const NewGoal = z.strictObject(goalFields).meta({ id: 'NewGoal' });
export const GoalPatch = z.strictObject(goalFields).partial().meta({ id: 'GoalPatch' });

export const Goal = z
  .object({
    ...resourceMeta,
    initiativeId: Id,
    title: z.string(),
    metric: z.string(),
    unit: z.string().nullable(),
    baseline: z.number(),
    target: z.number(),
    current: z.number().nullable(),
    measuredAt: Timestamp.nullable().describe('When `current` last changed.'),
    progress: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('(current − baseline) / (target − baseline), clamped to [0, 1]; null when `current` is null or target = baseline.'),
    dueDate: DateOnly.nullable(),
  })
  .meta({ id: 'Goal' });

export const GoalMeasurement = z
  .object({
    id: Id,
    goalId: Id,
    value: z.number().nullable().describe('The value `current` took (null: cleared).'),
    measuredAt: Timestamp,
  })
  .meta({ id: 'GoalMeasurement' });

export const memberRoles = ['sponsor', 'owner', 'liaison', 'member'] as const;
const MemberRole = z
  .enum(memberRoles)
  .describe(
    'Exactly one `sponsor` and one `owner` per initiative, the people named by its `sponsorId` and `ownerId`: change those on the initiative to hand over (the previous holder stays as a `member`).',
  );

export const NewMember = z
  .strictObject({
    personId: Id,
    role: MemberRole.default('member').describe(
      'Defaults to `member`. `sponsor` and `owner` are refused (409): the initiative already names them; change `sponsorId`/`ownerId` there.',
    ),
    responsibility: optionalText(2000),
  })
  .meta({ id: 'NewInitiativeMember' });

export const MemberPatch = z
  .strictObject({
    role: MemberRole.describe('Only between `liaison` and `member`; the sponsor and owner change on the initiative.'),
    responsibility: optionalText(2000),
  })
  .partial()
  .meta({ id: 'InitiativeMemberPatch' });

export const Member = z
  .object({
    id: Id.describe('Names this membership in the audit log (`entityType=initiative_member`).'),
    initiativeId: Id,
    personId: Id,
    role: MemberRole,
    responsibility: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: resourceMeta.version,
  })
  .meta({ id: 'InitiativeMember' });

export type NewInitiative = z.infer<typeof NewInitiative>;
export type InitiativePatch = z.infer<typeof InitiativePatch>;
export type NewGoal = z.infer<typeof NewGoal>;
export type GoalPatch = z.infer<typeof GoalPatch>;
export type NewMember = z.infer<typeof NewMember>;
export type MemberPatch = z.infer<typeof MemberPatch>;

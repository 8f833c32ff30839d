import { z } from 'zod';
import { Id, optionalText, resourceMeta, text, timeZone } from '../platform/schemas.js';
import { WorkingHours } from '../availability/working-hours.js';

const code = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'letters, digits, `_`, `.` or `-`, at most 32 characters')
  .describe('Short code, unique in the organisation (case-insensitive), e.g. `FIN`.');

const departmentFields = {
  name: text(200),
  code,
  description: optionalText(5000).describe('What the department does: its functions.'),
  concerns: optionalText(5000).describe('Its pressures and priorities, so other departments know them.'),
  parentId: Id.nullable().optional().describe('The department this one belongs to.'),
  leadId: Id.nullable().optional().describe('The person who leads it.'),
};

export const NewDepartment = z.strictObject(departmentFields).meta({ id: 'NewDepartment' });
export const DepartmentPatch = z.strictObject(departmentFields).partial().meta({ id: 'DepartmentPatch' });
export const Department = z
  .object({
    ...resourceMeta,
    name: z.string(),
    code: z.string(),
    description: z.string().nullable(),
    concerns: z.string().nullable(),
    parentId: Id.nullable(),
    leadId: Id.nullable(),
  })
  .meta({ id: 'Department' });

const email = z.email().max(320).transform((e) => e.toLowerCase());

const personFields = {
  name: text(200),
  email,
  departmentId: Id.nullable().optional(),
  title: optionalText(200),
  timeZone: timeZone.nullable().optional(),
  keyContact: z.boolean().optional().describe('A key contact of their department for cross-department work.'),
  workingHours: WorkingHours.nullable().optional().describe('In the person\'s `timeZone`; `null`: the organisation\'s default working hours.'),
};

export const NewPerson = z.strictObject(personFields).meta({ id: 'NewPerson' });
export const PersonPatch = z.strictObject(personFields).partial().meta({ id: 'PersonPatch' });
export const Person = z
  .object({
    ...resourceMeta,
    name: z.string(),
    email: z.string(),
    departmentId: Id.nullable(),
    title: z.string().nullable(),
    timeZone: z.string().nullable(),
    keyContact: z.boolean(),
    workingHours: WorkingHours.nullable().describe('`null`: the organisation\'s default working hours apply.'),
  })
  .meta({ id: 'Person' });

export type NewDepartment = z.infer<typeof NewDepartment>;
export type DepartmentPatch = z.infer<typeof DepartmentPatch>;
export type NewPerson = z.infer<typeof NewPerson>;
export type PersonPatch = z.infer<typeof PersonPatch>;

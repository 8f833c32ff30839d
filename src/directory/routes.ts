import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { createDepartment, deleteDepartment, findDepartment, listDepartments, toApiDepartment, updateDepartment } from './departments.js';
import { createPerson, deletePerson, findPerson, listPeople, toApiPerson, updatePerson } from './people.js';
import { Department, DepartmentPatch, NewDepartment, NewPerson, Person, PersonPatch } from './schemas.js';

const departmentParams = z.object({ departmentId: Id });
const personParams = z.object({ personId: Id });
const deleted = { 204: z.undefined().describe('Deleted'), ...errorResponses };

export const directoryRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Departments'];
  app.get('/v1/departments', {
    config: { access: 'member' },
    schema: {
      operationId: 'listDepartments', tags, summary: 'List departments',
      description:
        'Lists the organisation\'s departments, oldest first, a page at a time (`limit` 1 to 200, `cursor` from `nextCursor`); `parentId` keeps the direct sub-departments of one department. A malformed `cursor` or `parentId` is 400.',
      querystring: z.object({ ...pageQuery, parentId: Id.optional() }),
      response: { 200: listOf(Department), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listDepartments(app.db, req.auth.organizationId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiDepartment);
  });

  app.post('/v1/departments', {
    config: { access: 'integration' },
    schema: {
      operationId: 'createDepartment', tags, summary: 'Create a department',
      description:
        'Creates a department with its `code` (unique in the organisation, ignoring case), its functions (`description`), `concerns`, parent and lead. Refuses a code already in use (409) and a `parentId` or `leadId` that names no department or person of the organisation (400, naming the field).',
      body: NewDepartment, response: { 201: Department, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createDepartment(rec, req.body));
  });

  app.get('/v1/departments/:departmentId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getDepartment', tags, summary: 'Get a department',
      description:
        'Returns one department with its `ETag` (its version) for a later `If-Match`. An unknown id, or another organisation\'s, is 404.',
      params: departmentParams, response: { 200: Department, ...errorResponses },
    },
  }, async (req, reply) => {
    const dept = toApiDepartment(await findDepartment(app.db, req.auth.organizationId, req.params.departmentId));
    setEtag(reply, dept);
    return dept;
  });

  app.patch('/v1/departments/:departmentId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updateDepartment', tags, summary: 'Update a department',
      description:
        'Changes the fields given and keeps the others. Refuses a `code` another department has (409), a `parentId` that is the department itself or one of its descendants (400), a reference that names nothing in the organisation (400), a stale `If-Match` (412) and an unknown department (404).',
      params: departmentParams, body: DepartmentPatch, response: { 200: Department, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateDepartment(rec, req.params.departmentId, req.body, (v) => checkIfMatch(req, v)));
  });

  app.delete('/v1/departments/:departmentId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'deleteDepartment', tags, summary: 'Delete a department (refused while it has members or sub-departments)',
      description:
        'Deletes a department that has no sub-departments and no people left; otherwise 409 says how many remain (move them first). A stale `If-Match` is 412, an unknown department 404.',
      params: departmentParams, response: deleted,
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteDepartment(rec, req.params.departmentId, (v) => checkIfMatch(req, v)));
    return reply.send(undefined);
  });

  const ptags = ['People'];
  app.get('/v1/people', {
    config: { access: 'member' },
    schema: {
      operationId: 'listPeople', tags: ptags, summary: 'List people',
      description:
        'Lists the organisation\'s people, oldest first, a page at a time; `departmentId` and `keyContact` (`true`/`false`) narrow the list. A malformed filter or `cursor` is 400.',
      querystring: z.object({ ...pageQuery, departmentId: Id.optional(), keyContact: z.stringbool().optional() }),
      response: { 200: listOf(Person), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listPeople(app.db, req.auth.organizationId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiPerson);
  });

  app.post('/v1/people', {
    config: { access: 'integration' },
    schema: {
      operationId: 'createPerson', tags: ptags, summary: 'Create a person',
      description:
        'Creates a person with an `email` unique in the organisation (ignoring case), a department, title, IANA `timeZone` and the `keyContact` flag. Refuses an email already in use (409), a `departmentId` that names no department of the organisation (400) and a time zone that is not an IANA name (400).',
      body: NewPerson, response: { 201: Person, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createPerson(rec, req.body));
  });

  app.get('/v1/people/:personId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getPerson', tags: ptags, summary: 'Get a person',
      description:
        'Returns one person with its `ETag`. An unknown id, or another organisation\'s, is 404.',
      params: personParams, response: { 200: Person, ...errorResponses },
    },
  }, async (req, reply) => {
    const person = toApiPerson(await findPerson(app.db, req.auth.organizationId, req.params.personId));
    setEtag(reply, person);
    return person;
  });

  app.patch('/v1/people/:personId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updatePerson', tags: ptags, summary: 'Update a person',
      description:
        'Changes the fields given and keeps the others. Refuses an `email` another person has (409), a `departmentId` that names no department of the organisation (400), a stale `If-Match` (412) and an unknown person (404).',
      params: personParams, body: PersonPatch, response: { 200: Person, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updatePerson(rec, req.params.personId, req.body, (v) => checkIfMatch(req, v)));
  });

  app.delete('/v1/people/:personId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'deletePerson', tags: ptags, summary: 'Delete a person (refused while records reference them)',
      description:
        'Deletes a person nothing refers to any more. Refused with 409 while they lead a department or while other records (meeting participations, issues, decisions, …) still name them; a stale `If-Match` is 412, an unknown person 404.',
      params: personParams, response: deleted,
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deletePerson(rec, req.params.personId, (v) => checkIfMatch(req, v)));
    return reply.send(undefined);
  });
};

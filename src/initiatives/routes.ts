import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { createGoal, deleteGoal, findGoal, listGoals, listMeasurements, measurementKey, toApiGoal, toApiMeasurement, updateGoal } from './goals.js';
import { createInitiative, deleteInitiative, findInitiative, getInitiative, listInitiatives, toApiInitiative, updateInitiative } from './initiatives.js';
import { memberRoutes } from './member-routes.js';
import { reportRoute } from './report-route.js';
import { Goal, GoalMeasurement, GoalPatch, Initiative, InitiativePatch, InitiativeStatus, NewGoal, NewInitiative } from './schemas.js';

const initiativeParams = z.object({ initiativeId: Id });
const goalParams = z.object({ initiativeId: Id, goalId: Id });
const deleted = { 204: z.undefined().describe('Deleted'), ...errorResponses };

/** Initiatives, their goals (with measurement history), members and the leader's report. */
export const initiativeRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Initiatives'];
  app.get('/v1/initiatives', {
    config: { access: 'member' },
    schema: {
      operationId: 'listInitiatives', tags, summary: 'List initiatives',
      description:
        'Lists initiatives, oldest first, each with its department ids; `status`, a taking-part `departmentId` and `sponsorId` narrow the list. A malformed filter or `cursor` is 400.',
      querystring: z.object({
        ...pageQuery,
        status: InitiativeStatus.optional(),
        departmentId: Id.optional().describe('Initiatives that include this department.'),
        sponsorId: Id.optional(),
      }),
      response: { 200: listOf(Initiative), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listInitiatives(app.db, req.auth.organizationId, req.query);
    return page(req, reply, rows, req.query.limit, (r) => createdKey(r.row), (r) => toApiInitiative(r.row, r.departmentIds));
  });

  app.post('/v1/initiatives', {
    config: { access: 'integration' },
    schema: {
      operationId: 'createInitiative', tags,
      summary: 'Create an initiative (its sponsor and owner become members)',
      description:
        'Creates an initiative with its objective, departments, dates, sponsor and owner; the sponsor and owner become members with those roles. Refuses the same person as sponsor and owner (400), a `targetDate` before `startDate` (400), and a sponsor, owner or department that names nothing in the organisation (400, naming the field).',
      body: NewInitiative, response: { 201: Initiative, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createInitiative(rec, req.body));
  });

  app.get('/v1/initiatives/:initiativeId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getInitiative', tags, summary: 'Get an initiative',
      description:
        'Returns one initiative with its department ids and `ETag`. An unknown id, or another organisation\'s, is 404.',
      params: initiativeParams, response: { 200: Initiative, ...errorResponses },
    },
  }, async (req, reply) => {
    const initiative = await getInitiative(app.db, req.auth.organizationId, req.params.initiativeId);
    setEtag(reply, initiative);
    return initiative;
  });

  app.patch('/v1/initiatives/:initiativeId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updateInitiative', tags,
      summary: 'Update an initiative, change its status, or hand over sponsor/owner',
      description:
        'Changes the fields given. Setting `sponsorId` or `ownerId` makes that person the `sponsor`/`owner` member (added if not yet a member); the previous holder stays in the team as a `member`. `status` moves `planned → active | cancelled` and `active → completed | cancelled`; any other change of status is 409. Refuses the same person as sponsor and owner and a `targetDate` before `startDate` (400), a reference that names nothing in the organisation (400) and a stale `If-Match` (412).',
      params: initiativeParams, body: InitiativePatch, response: { 200: Initiative, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateInitiative(rec, req.params.initiativeId, req.body, (v) => checkIfMatch(req, v)));
  });

  app.delete('/v1/initiatives/:initiativeId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'deleteInitiative', tags,
      summary: 'Delete an initiative with its goals and members (refused while meetings or issues refer to it; cancel it instead)',
      description:
        'Deletes an initiative with its goals, measurements, members and department links, each recorded in the audit log. Refused with 409 while meetings or issues belong to it (cancel it instead); a stale `If-Match` is 412, an unknown initiative 404.',
      params: initiativeParams, response: deleted,
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteInitiative(rec, req.params.initiativeId, (v) => checkIfMatch(req, v)));
    return reply.send(undefined);
  });

  const gtags = ['Goals'];
  app.get('/v1/initiatives/:initiativeId/goals', {
    config: { access: 'member' },
    schema: {
      operationId: 'listGoals', tags: gtags, summary: "List an initiative's goals",
      description:
        'Lists an initiative\'s goals, oldest first, each with its derived `progress` (a fraction from 0 to 1, also for a goal whose target is below its baseline). An unknown initiative is 404.',
      params: initiativeParams, querystring: z.object(pageQuery), response: { 200: listOf(Goal), ...errorResponses },
    },
  }, async (req, reply) => {
    await findInitiative(app.db, req.auth.organizationId, req.params.initiativeId);
    const rows = await listGoals(app.db, req.auth.organizationId, req.params.initiativeId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiGoal);
  });

  app.post('/v1/initiatives/:initiativeId/goals', {
    config: { access: 'integration' },
    schema: {
      operationId: 'createGoal', tags: gtags, summary: 'Add a measurable goal',
      description:
        'Adds a measurable goal: metric, unit, baseline, target, due date and optionally a `current` value, recorded as the first measurement at `measuredAt` (default now). Refuses a `measuredAt` in the future or without a `current` (400); an unknown initiative is 404.',
      params: initiativeParams, body: NewGoal, response: { 201: Goal, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, async (rec) => {
      await findInitiative(rec.tx, rec.organizationId, req.params.initiativeId);
      return createGoal(rec, req.params.initiativeId, req.body);
    });
  });

  app.get('/v1/initiatives/:initiativeId/goals/:goalId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getGoal', tags: gtags, summary: 'Get a goal',
      description:
        'Returns one goal of the initiative with its `progress` and `ETag`. 404 when the initiative is unknown or the goal is not one of its goals.',
      params: goalParams, response: { 200: Goal, ...errorResponses },
    },
  }, async (req, reply) => {
    const goal = toApiGoal(await findGoal(app.db, req.auth.organizationId, req.params.initiativeId, req.params.goalId));
    setEtag(reply, goal);
    return goal;
  });

  app.patch('/v1/initiatives/:initiativeId/goals/:goalId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updateGoal', tags: gtags, summary: 'Update a goal; a new `current` is recorded as a dated measurement',
      description:
        'Changes the fields given. A changed `current` is recorded as a dated measurement (`measuredAt`, default now), which may be neither in the future nor before the previous one (400); `measuredAt` without a changed `current` is 400. A stale `If-Match` is 412; a goal not of this initiative is 404.',
      params: goalParams, body: GoalPatch, response: { 200: Goal, ...errorResponses },
    },
  }, async (req, reply) => {
    const { initiativeId, goalId } = req.params;
    return mutate(req, reply, 200, (rec) => updateGoal(rec, initiativeId, goalId, req.body, (v) => checkIfMatch(req, v)));
  });

  app.delete('/v1/initiatives/:initiativeId/goals/:goalId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'deleteGoal', tags: gtags, summary: 'Delete a goal and its measurements',
      description:
        'Deletes a goal with its measurement history. A stale `If-Match` is 412; a goal not of this initiative is 404.',
      params: goalParams, response: deleted,
    },
  }, async (req, reply) => {
    const { initiativeId, goalId } = req.params;
    await mutate(req, reply, 204, (rec) => deleteGoal(rec, initiativeId, goalId, (v) => checkIfMatch(req, v)));
    return reply.send(undefined);
  });

  app.get('/v1/initiatives/:initiativeId/goals/:goalId/measurements', {
    config: { access: 'member' },
    schema: {
      operationId: 'listGoalMeasurements', tags: gtags, summary: 'The dated values of a goal, oldest first (its trend)',
      description:
        'The dated values of a goal, oldest first, one for every change of `current`: the trend a leader reads in the report. 404 when the initiative or the goal is unknown.',
      params: goalParams, querystring: z.object(pageQuery), response: { 200: listOf(GoalMeasurement), ...errorResponses },
    },
  }, async (req, reply) => {
    await findGoal(app.db, req.auth.organizationId, req.params.initiativeId, req.params.goalId);
    const rows = await listMeasurements(app.db, req.auth.organizationId, req.params.goalId, req.query);
    return page(req, reply, rows, req.query.limit, measurementKey, toApiMeasurement);
  });

  await app.register(memberRoutes);
  await app.register(reportRoute);
};

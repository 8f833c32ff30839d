import t from 'tap';
import { buildTestApp } from './helpers.js';
import { buildDataset } from './reports-dataset.js';

// Every figure below is worked out by hand from the data set described in reports-dataset.ts.
const empty = {
  meetingsHeld: 0, meetingsCancelled: 0, attendanceRate: null, rsvpResponseRate: null, medianInvitationLeadHours: null,
  materialsOnTimeRate: null, requiredMaterialsAcknowledgedRate: null, agendaItemsDiscussed: 0, agendaItemsDeferred: 0,
  decisionsPerMeeting: null, issuesOpened: 0, issuesResolved: 0, issuesOverdue: 0, medianHoursToResolve: null, averageFeedbackRating: null,
};

t.test('effectiveness: every figure of a known month, overall, per department, per initiative, and empty periods', async (t) => {
  const api = await buildTestApp(t);
  const ds = await buildDataset(api);
  const march = 'from=2025-03-01&to=2025-04-01';
  const dept = (d: { id: string; code: string }, name: string) => ({ departmentId: d.id, name, code: d.code });

  const finance = {
    ...dept(ds.finance, 'Finance'),
    meetingsHeld: 2, meetingsCancelled: 1, attendanceRate: 2 / 3, rsvpResponseRate: 1, medianInvitationLeadHours: 24,
    materialsOnTimeRate: 0.5, requiredMaterialsAcknowledgedRate: 1, agendaItemsDiscussed: 3, agendaItemsDeferred: 1,
    decisionsPerMeeting: 1.5, issuesOpened: 1, issuesResolved: 2, issuesOverdue: 0, medianHoursToResolve: 204, averageFeedbackRating: 4,
  };
  const legal = {
    ...dept(ds.legal, 'Legal 法务部'),
    ...empty, rsvpResponseRate: 0, medianInvitationLeadHours: 12, materialsOnTimeRate: 0, issuesOpened: 1,
  };
  const operations = {
    ...dept(ds.operations, 'Operations'),
    meetingsHeld: 3, meetingsCancelled: 1, attendanceRate: 0.5, rsvpResponseRate: 2 / 3, medianInvitationLeadHours: 48,
    materialsOnTimeRate: 2 / 3, requiredMaterialsAcknowledgedRate: 0, agendaItemsDiscussed: 3, agendaItemsDeferred: 2,
    decisionsPerMeeting: 1, issuesOpened: 2, issuesResolved: 1, issuesOverdue: 2, medianHoursToResolve: 264, averageFeedbackRating: 3,
  };

  const all = await api.get(`/v1/reports/effectiveness?${march}`);
  t.equal(all.status, 200, all.text);
  t.same(all.body, {
    from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', initiativeId: null, departmentId: null,
    meetingsHeld: 3, meetingsCancelled: 1, attendanceRate: 5 / 8, rsvpResponseRate: 6 / 9, medianInvitationLeadHours: 24,
    materialsOnTimeRate: 0.5, requiredMaterialsAcknowledgedRate: 4 / 7, agendaItemsDiscussed: 3, agendaItemsDeferred: 2,
    decisionsPerMeeting: 1, issuesOpened: 5, issuesResolved: 3, issuesOverdue: 2, medianHoursToResolve: 264, averageFeedbackRating: 3.5,
    byDepartment: [finance, legal, operations],
  });

  const opsInInitiative = {
    ...operations, meetingsHeld: 2, attendanceRate: 1 / 3, medianInvitationLeadHours: 48, agendaItemsDeferred: 1,
    decisionsPerMeeting: 1.5, averageFeedbackRating: 4,
  };
  const byInitiative = await api.get(`/v1/reports/effectiveness?${march}&initiativeId=${ds.initiativeId}`);
  t.same(byInitiative.body, {
    from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', initiativeId: ds.initiativeId, departmentId: null,
    meetingsHeld: 2, meetingsCancelled: 1, attendanceRate: 4 / 7, rsvpResponseRate: 6 / 9, medianInvitationLeadHours: 24,
    materialsOnTimeRate: 0.5, requiredMaterialsAcknowledgedRate: 4 / 7, agendaItemsDiscussed: 3, agendaItemsDeferred: 1,
    decisionsPerMeeting: 1.5, issuesOpened: 4, issuesResolved: 3, issuesOverdue: 2, medianHoursToResolve: 264, averageFeedbackRating: 4,
    byDepartment: [
      finance,
      legal,
      opsInInitiative,
    ],
  });

  // Both filters: the department's figures within the initiative, as in its byDepartment entry above.
  const both = await api.get(`/v1/reports/effectiveness?${march}&initiativeId=${ds.initiativeId}&departmentId=${ds.operations.id}`);
  const { departmentId: _bd, name: _bn, code: _bc, ...opsInInitiativeFigures } = opsInInitiative;
  t.same(both.body, {
    from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', initiativeId: ds.initiativeId, departmentId: ds.operations.id,
    ...opsInInitiativeFigures, byDepartment: [opsInInitiative],
  });

  const ops = await api.get(`/v1/reports/effectiveness?${march}&departmentId=${ds.operations.id}`);
  const { departmentId: _d, name: _n, code: _c, ...opsFigures } = operations;
  t.same(ops.body, {
    from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', initiativeId: null, departmentId: ds.operations.id,
    ...opsFigures, byDepartment: [operations],
  });

  const idle = await api.get(`/v1/reports/effectiveness?${march}&departmentId=${ds.idle.id}`);
  t.same(idle.body, { from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', initiativeId: null, departmentId: ds.idle.id, ...empty, byDepartment: [{ ...dept(ds.idle, 'Idle'), ...empty }] });

  // A period with nothing in it: zeros and nulls, never a division by zero.
  const nothing = await api.get('/v1/reports/effectiveness?from=2024-01-01&to=2024-02-01');
  t.same(nothing.body, { from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z', initiativeId: null, departmentId: null, ...empty, byDepartment: [] });
  const nothingForInitiative = await api.get(`/v1/reports/effectiveness?from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00%2B00:00&initiativeId=${ds.initiativeId}`);
  t.same(nothingForInitiative.body.byDepartment, [
    { ...dept(ds.finance, 'Finance'), ...empty },
    { ...dept(ds.legal, 'Legal 法务部'), ...empty },
    { ...dept(ds.operations, 'Operations'), ...empty },
  ], "the initiative's departments appear even with nothing to show");

  // The period is half-open: April's meeting M5 and issue I7 count only in April, where I5 falls due.
  const april = await api.get('/v1/reports/effectiveness?from=2025-04-01&to=2025-05-01');
  t.match(april.body, { meetingsHeld: 1, attendanceRate: 1, medianInvitationLeadHours: 24, issuesOpened: 1, issuesOverdue: 1, issuesResolved: 0 });

  // Tenancy and refusals.
  const foreign = await api.newOrganization();
  const theirs = await foreign.get(`/v1/reports/effectiveness?${march}`);
  t.same(theirs.body, { ...nothing.body, from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' }, "another organisation's data never counts");
  const otherInitiative = await foreign.get(`/v1/reports/effectiveness?${march}&initiativeId=${ds.initiativeId}`);
  t.equal(otherInitiative.status, 400);
  t.match(otherInitiative.body.errors, [{ path: 'querystring.initiativeId' }]);
  t.match((await foreign.get(`/v1/reports/effectiveness?${march}&departmentId=${ds.finance.id}`)).body.errors, [{ path: 'querystring.departmentId' }]);
  t.equal((await api.get('/v1/reports/effectiveness?from=2025-03-01')).status, 400, '`to` is required');
  t.equal((await api.get('/v1/reports/effectiveness?from=2025-04-01&to=2025-03-01')).status, 400);
  t.equal((await api.get('/v1/reports/effectiveness?from=2025-03-01&to=2025-03-01')).status, 400, 'an empty period is refused');
  t.equal((await api.get('/v1/reports/effectiveness?from=2015-01-01&to=2025-01-01')).status, 400, 'at most five years');
  t.equal((await api.get('/v1/reports/effectiveness?from=March&to=2025-03-01')).status, 400);
});

t.test('effectiveness: the OpenAPI document defines every figure', async (t) => {
  const api = await buildTestApp(t);
  const res = await api.get('/openapi.json');
  const doc = JSON.parse(res.text);
  const schema = doc.components.schemas.EffectivenessReport;
  const figures = Object.keys(empty);
  for (const f of figures) t.ok((schema.properties[f].description ?? '').length > 40, `${f} is defined`);
  t.ok(doc.components.schemas.DepartmentEffectiveness.properties.attendanceRate.description.includes('attended'));
  const op = doc.paths['/v1/reports/effectiveness'].get;
  t.equal(op.operationId, 'getEffectivenessReport');
  const report = doc.paths['/v1/initiatives/{initiativeId}/report'].get;
  t.same(Object.keys(report.responses['200'].content).sort(), ['application/json', 'text/markdown']);
});

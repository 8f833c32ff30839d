import t from 'tap';
import { buildTestApp } from './helpers.js';
import { weeklySeriesScenario } from './scenarios/meetings-series.js';

// The end-to-end walk: a weekly cross-department series from first draft to one cancelled
// occurrence, checking the event log and the calendars at each step (materials are covered by
// the materials module's tests).
t.test('a weekly cross-department series, end to end', async (t) => weeklySeriesScenario(t, await buildTestApp(t)));

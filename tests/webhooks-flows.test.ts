import t from 'tap';
import { buildTestApp } from './helpers.js';
import { invitationFlowScenario, minutesFlowScenario } from './scenarios/webhook-flows.js';

t.test('the invitation flow arrives signed, in full and verifiable', async (t) => invitationFlowScenario(t, await buildTestApp(t)));

t.test('the minutes flow arrives signed, with the whole revision', async (t) => minutesFlowScenario(t, await buildTestApp(t)));

import type { FiringRule } from '../platform/scheduler-types.js';
import { issueRules } from './issue-rules.js';
import { meetingRules } from './meeting-rules.js';
import { reportDigestRule } from './report-digest.js';

/**
 * The follow-through rules of SPEC §6, in the order GET /v1/reminders lists rules that fire at the
 * same moment. The composition (src/worker.ts, src/app.ts) hands them to the scheduler.
 */
export const followThroughRules: FiringRule[] = [...meetingRules, ...issueRules, reportDigestRule];

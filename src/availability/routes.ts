import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { busyBlockRoutes } from './busy-block-routes.js';
import { organizationRoutes } from './organization-routes.js';
import { schedulingRoutes } from './scheduling-routes.js';

/** Availability (SPEC §7): organisation defaults, external busy time, free/busy, find-times. */
export const availabilityRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(organizationRoutes);
  // Its own plugin context: the text/calendar body parser applies to its routes only.
  await app.register(busyBlockRoutes);
  await app.register(schedulingRoutes);
};

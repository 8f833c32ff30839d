import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const decisionRoutes: FastifyPluginAsyncZod = async () => {};

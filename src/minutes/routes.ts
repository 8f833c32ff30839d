import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const minutesRoutes: FastifyPluginAsyncZod = async () => {};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const initiativeRoutes: FastifyPluginAsyncZod = async () => {};

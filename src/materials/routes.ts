import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const materialRoutes: FastifyPluginAsyncZod = async () => {};

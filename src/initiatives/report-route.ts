import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export const reportRoute: FastifyPluginAsyncZod = async () => {};

import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const API_VERSION = '1.0.0';

/** Hooks that add to the finished document (the event catalogue adds the top-level `webhooks`). */
export type DocumentExtension = (doc: Record<string, unknown>) => void;

export async function registerOpenApi(app: FastifyInstance, extensions: DocumentExtension[] = []) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Liaison API',
        version: API_VERSION,
        description:
          'Meeting management for cross-department work: goals, people, meetings with agendas and pre-reads, decisions and open issues, and signed webhooks for integrations.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key: `Authorization: Bearer lsn_…`' } },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: createJsonSchemaTransform({ skipList: ['/docs', '/docs/*', '/docs/static/*', '/docs/json', '/docs/yaml', '/openapi.json'] }),
    transformObject: (input) => {
      const doc = jsonSchemaTransformObject(input) as Record<string, unknown>;
      for (const extend of extensions) extend(doc);
      return doc as never;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true }, staticCSP: true });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}

import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';

/** A route's config with its `url` and `method` (both missing for an unmatched path). */
export type RouteConfig = FastifyContextConfig & { url?: string; method?: string | string[] };

declare module 'fastify' {
  interface FastifyRequest {
    /** The route's config, read once per request (see routeConfigOf). */
    routeConfig: RouteConfig | null;
  }
}

/**
 * The matched route's config (with its `url`; none for an unmatched path). Fastify's
 * `req.routeOptions` builds a new object on every read, and the per-request hooks read the config
 * several times each: it is taken once, as the request arrives.
 */
export function routeConfigOf(req: FastifyRequest): RouteConfig {
  return req.routeConfig ?? (req.routeConfig = req.routeOptions.config);
}

/** Takes each request's route config before any other hook reads it (registered first). */
export function registerRouteConfig(app: FastifyInstance) {
  app.decorateRequest('routeConfig', null);
  app.addHook('onRequest', (req, _reply, done) => {
    req.routeConfig = req.routeOptions.config;
    done();
  });
}

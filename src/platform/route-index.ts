import FindMyWay from 'find-my-way';
import type { FastifyInstance } from 'fastify';

// A second router holding every registered path, used only to tell an unknown route (404) from a
// known path asked with the wrong method (405, with `Allow`). Fastify itself answers both with 404.
export function trackRoutes(app: FastifyInstance): (path: string) => string[] {
  const index = FindMyWay({ ignoreTrailingSlash: false });
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const list = Array.isArray(route.method) ? route.method : [route.method];
    let set = methods.get(route.url);
    if (!set) {
      set = new Set();
      methods.set(route.url, set);
      index.on('GET', route.url, () => {}, { url: route.url });
    }
    for (const m of list) set.add(m);
  });
  return (path) => {
    const found = index.find('GET', path);
    if (!found) return [];
    const url = (found.store as { url: string }).url;
    return [...(methods.get(url) ?? [])].sort();
  };
}

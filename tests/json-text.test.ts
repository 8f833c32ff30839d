import t from 'tap';
import Fastify from 'fastify';
import { z } from 'zod';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { sendJsonText, verifyJsonText } from '../src/platform/json-text.js';

// JSON rendered in SQL bypasses the zod serializer; with verifyJsonText (on in every test app)
// an answer that does not match the route's response schema is a 500, not a silent drift.
t.test('verifyJsonText passes answers that match the schema and stops those that do not', async (t) => {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  verifyJsonText(app);
  const Thing = z.object({ id: z.string(), count: z.number().int() });
  const bodies: Record<string, string | Buffer> = {
    good: '{"id" : "a", "count" : 2}',
    buffer: Buffer.from('{"id":"a","count":2}'),
    extra: '{"id":"a","count":2,"stray":true}',
    wrongType: '{"id":"a","count":"2"}',
    missing: '{"id":"a"}',
  };
  app.get('/things/:kind', { schema: { params: z.object({ kind: z.string() }), response: { 200: Thing } } }, async (req, reply) =>
    sendJsonText(reply, bodies[req.params.kind]!));
  t.teardown(() => app.close());
  for (const kind of ['good', 'buffer']) {
    const res = await app.inject({ url: `/things/${kind}` });
    t.equal(res.statusCode, 200, kind);
    t.same(res.json(), { id: 'a', count: 2 });
    t.match(res.headers['content-type'], /^application\/json/);
  }
  for (const kind of ['extra', 'wrongType', 'missing']) {
    t.equal((await app.inject({ url: `/things/${kind}` })).statusCode, 500, `${kind} is refused`);
  }
});

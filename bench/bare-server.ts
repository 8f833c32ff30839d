import Fastify from 'fastify';
import postgres from 'postgres';

// The baseline every ratio is measured against: a bare route doing one primary-key query on the
// same database, with no auth, validation, serialisation schema or hooks.
const sql = postgres(process.env.DATABASE_URL!, { max: 10 });
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/bare/departments/:id', async (req) => {
  const [row] = await sql`select * from departments where id = ${(req.params as { id: string }).id}`;
  return row ?? {};
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', async () => {
  await app.close();
  await sql.end();
  process.exit(0);
});

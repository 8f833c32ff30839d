import Fastify from 'fastify';
import postgres from 'postgres';

// The baselines ratios are measured against: bare routes doing one query each on the same database,
// with no auth, validation, serialisation schema or hooks: a primary-key read, and a one-row
// insert into issues (the organisation, owner and department come in the body) for writes.
const sql = postgres(process.env.DATABASE_URL!, { max: 10 });
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/bare/departments/:id', async (req) => {
  const [row] = await sql`select * from departments where id = ${(req.params as { id: string }).id}`;
  return row ?? {};
});
app.post('/bare/issues', async (req) => {
  const b = req.body as { organizationId: string; title: string; ownerId: string; departmentId: string };
  const [row] = await sql`
    insert into issues (organization_id, title, owner_id, department_id)
    values (${b.organizationId}, ${b.title}, ${b.ownerId}, ${b.departmentId}) returning *`;
  return row;
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', async () => {
  await app.close();
  await sql.end();
  process.exit(0);
});

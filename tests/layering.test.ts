import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/**
 * What a source file imports, as paths from the repository root (packages as they are named):
 * `import`, `import type`, `export … from`, `import()` and `require`, as TypeScript reads them.
 */
function importsOf(file: string, text = readFileSync(join(root, file), 'utf8')): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) =>
    fileName.startsWith('.') ? relative(root, resolve(root, dirname(file), fileName)).replace(/\.js$/, '.ts') : fileName,
  );
}

const lower = [...sourcesUnder('src/platform'), ...sourcesUnder('src/events')];
const intoWebhooks = (file: string, text?: string) => importsOf(file, text).filter((p) => p.startsWith('src/webhooks/'));

t.test('the check reads imports: it sees what a lower file imports and would see an import of webhooks', async (t) => {
  t.ok(lower.length > 20, `${lower.length} files under src/platform and src/events`);
  t.ok(importsOf('src/platform/changes.ts').includes('src/events/outbox.ts'), 'changes.ts → events/outbox.ts is seen');
  const forms = [
    `import { fanOutToWebhooks } from '../webhooks/fan-out.js';`,
    `import type { WebhookRow } from '../webhooks/subscriptions.js';`,
    `export { DELIVERY_CHANNEL } from '../webhooks/queue.js';`,
    `const m = await import('../webhooks/worker.js');`,
  ];
  for (const text of forms) t.same(intoWebhooks('src/events/outbox.ts', text).length, 1, `caught: ${text}`);
});

t.test('the platform and the event log import nothing of webhooks (features register with them at composition)', async (t) => {
  const offending = lower.flatMap((file) => intoWebhooks(file).map((p) => `${file} → ${p}`));
  t.same(offending, [], 'no file under src/platform or src/events imports from src/webhooks');
});

t.test('only the entry composes the worker role: no file under src/ imports src/worker.ts but src/server.ts', async (t) => {
  const sources = sourcesUnder('src');
  t.ok(sources.includes('src/issues/overdue-scan.ts') && sources.includes('src/worker.ts'), `${sources.length} files under src`);
  t.same(importsOf('src/issues/overdue-scan.ts', `import type { BackgroundTask } from '../worker.js';`), ['src/worker.ts'], 'an import of the worker entry is seen');
  const offending = sources
    .filter((file) => file !== 'src/server.ts')
    .flatMap((file) => importsOf(file).filter((p) => p === 'src/worker.ts').map((p) => `${file} → ${p}`));
  t.same(offending, [], 'tasks and rules register with the scheduler; they never import the worker entry');
});

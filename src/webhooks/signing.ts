import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  // Buffer.from silently drops invalid characters, so re-encoding is the only reliable validity check.
  if (key.length === 0 || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw new Error('webhook secret is not valid base64 after the whsec_ prefix');
  }
  return key;
}

/**
 * Value of the `webhook-signature` header: one `v1,<sig>` per secret so receivers keep
 * verifying while a secret is being rotated.
 */
export function signatureHeader(secrets: string[], msgId: string, timestampSec: number, body: string): string {
  if (secrets.length === 0) throw new Error('at least one webhook secret is required to sign');
  if (!Number.isSafeInteger(timestampSec)) throw new Error(`timestamp must be integer seconds, got ${timestampSec}`);
  const content = `${msgId}.${timestampSec}.${body}`;
  return secrets
    .map((secret) => 'v1,' + createHmac('sha256', secretKey(secret)).update(content, 'utf8').digest('base64'))
    .join(' ');
}

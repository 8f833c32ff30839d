import { hash, randomBytes } from 'node:crypto';

export const SCOPES = ['read', 'write', 'webhooks', 'admin', 'act_as', 'confidential'] as const;
export type Scope = (typeof SCOPES)[number];

/** `lsn_` + 32 random bytes, base64url: what a client sends; only its SHA-256 is stored. */
export function generateApiKey(): string {
  return `lsn_${randomBytes(32).toString('base64url')}`;
}

/** Every authenticated request hashes its key: the one-shot `hash` allocates no Hash object. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The part of a key shown in listings so people can tell keys apart. */
export function keyPrefix(key: string): string {
  return key.slice(0, 12);
}

/** `admin` may do everything (`act_as` and `confidential` included); `write` includes `read`. `webhooks`, `act_as` and `confidential` stand alone. */
export function scopeSatisfied(granted: readonly string[], needed: Scope): boolean {
  if (granted.includes(needed) || granted.includes('admin')) return true;
  return needed === 'read' && granted.includes('write');
}

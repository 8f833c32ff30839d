/**
 * Rendered JSON of hot resources, kept per process and checked on every read against a
 * fingerprint of the rows it was rendered from. The fingerprint is built from PostgreSQL's `xmin`
 * of each row involved (the id of the transaction that wrote that row version): every committed
 * UPDATE, INSERT or DELETE of a row changes the set of xmins, whichever process or tool made it,
 * so a stale entry can never match and there is nothing to invalidate. A read first asks
 * PostgreSQL for the fingerprint alone (index lookups, no JSON building), and renders only on a
 * miss, in one statement that returns the JSON with the fingerprint it was rendered from.
 *
 * Bounded by the total length of what it holds (characters or bytes); the oldest entries go first.
 */
export class RenderCache<T extends { json: string | Buffer }> {
  private readonly entries = new Map<string, { fingerprint: string; value: T }>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  get(key: string, fingerprint: string): T | undefined {
    const hit = this.entries.get(key);
    return hit && hit.fingerprint === fingerprint ? hit.value : undefined;
  }

  set(key: string, fingerprint: string, value: T): void {
    this.delete(key);
    if (value.json.length > this.maxChars) return;
    this.entries.set(key, { fingerprint, value });
    this.chars += value.json.length;
    for (const [oldest] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.delete(oldest);
    }
  }

  private delete(key: string) {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.chars -= old.value.json.length;
  }
}

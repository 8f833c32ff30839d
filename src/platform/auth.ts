import { UUID_PATTERN as UUID } from './schemas.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, HttpProblem, Unauthorized } from './errors.js';
import { scopeSatisfied, type Scope } from './api-key-crypto.js';
import type { KeyStore } from './key-store.js';
import { routeConfigOf } from './route-config.js';

/** What a key is: its organisation, its scopes and, for a person-bound key, its person. */
export interface KeyContext {
  organizationId: string;
  keyId: string;
  scopes: string[];
  /** A person-bound key's person; null for an integration key. */
  personId: string | null;
}

/**
 * The request's principal, the one object an authorization rule reads: the key, and the person
 * the request acts as. `personId` is a person-bound key's own person or, for an integration key
 * with `act_as`, the person named by `Liaison-On-Behalf-Of` (then `onBehalfOf` is true); null for
 * an integration key acting as itself, which sees and does what its scopes allow.
 */
export interface AuthContext extends KeyContext {
  onBehalfOf: boolean;
}

/** Who made a change, as audit records and events carry it. */
export interface Actor {
  keyId: string | null;
  personId: string | null;
}

export const actorOf = (auth: AuthContext): Actor => ({ keyId: auth.keyId, personId: auth.personId });

/** The header by which an integration key with scope `act_as` acts as a person of its organisation. */
export const ON_BEHALF_OF_HEADER = 'liaison-on-behalf-of';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; by default `read` for GET/HEAD and `write` otherwise. */
    scope?: Scope;
    /** Routes outside the API (health, docs) that need no key. */
    public?: boolean;
  }
  interface FastifyRequest {
    auth: AuthContext;
  }
}

/**
 * The limit on requests that carry no valid key, per client address (src/platform/rate-limit.ts).
 * It is checked before a key is looked up, so that a flood of wrong keys costs no query once an
 * address has spent its budget; a key this process already knows to be valid skips it.
 */
export interface UnauthenticatedLimit {
  /** Throws a 429 problem when the client's address has spent its budget. */
  check(req: FastifyRequest): void;
  /** Counts one request refused for want of a valid key; throws a 429 problem when that passes the budget. */
  count(req: FastifyRequest): Promise<void>;
}


function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1]! : null;
}


const HEADER_PATH = `headers.${ON_BEHALF_OF_HEADER}`;

/** The person id a request names in `Liaison-On-Behalf-Of`: undefined without the header, null when malformed. */
function onBehalfOfHeader(req: FastifyRequest): string | null | undefined {
  const raw = req.headers[ON_BEHALF_OF_HEADER];
  if (raw === undefined) return undefined;
  return typeof raw === 'string' && UUID.test(raw.trim()) ? raw.trim().toLowerCase() : null;
}

/**
 * Who may send `Liaison-On-Behalf-Of`, checked before the person is looked up (so a refused key
 * learns nothing about who exists): only an integration key with `act_as` (403 naming the scope
 * otherwise). A person-bound key is refused with 403 too: the header is well formed, but the key
 * has no authority to act as anyone but its own person, whatever the person named.
 */
function refusedOnBehalf(key: KeyContext, named: string | null): HttpProblem | undefined {
  if (key.personId !== null) {
    return new HttpProblem(403, 'A person-bound API key acts as its own person only: it cannot send `Liaison-On-Behalf-Of`.');
  }
  if (!scopeSatisfied(key.scopes, 'act_as')) return new Forbidden('act_as');
  if (named === null) {
    return new BadRequest('`Liaison-On-Behalf-Of` must be the id of a person of this organisation.', [{ path: HEADER_PATH, message: 'not a person id' }]);
  }
  return undefined;
}

const unknownPerson = () =>
  new BadRequest('`Liaison-On-Behalf-Of` names no person of this organisation.', [{ path: HEADER_PATH, message: 'unknown person' }]);

export function registerAuth(app: FastifyInstance, keys: KeyStore, unauthenticated: UnauthenticatedLimit) {
  app.decorateRequest('auth', null as unknown as AuthContext);
  // The route's scope, granted or refused, then the person acted on behalf of (its existence
  // given, or to be looked up: a promise); undefined when the request may proceed.
  const admit = (req: FastifyRequest, key: KeyContext, named: string | null | undefined, found?: boolean): HttpProblem | Promise<HttpProblem | undefined> | undefined => {
    const needed = routeConfigOf(req).scope ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
    if (!scopeSatisfied(key.scopes, needed)) return new Forbidden(needed);
    if (named === undefined) {
      req.auth = { ...key, onBehalfOf: false };
      return undefined;
    }
    const refused = refusedOnBehalf(key, named);
    if (refused) return refused;
    const actAs = (exists: boolean) => {
      if (!exists) return unknownPerson();
      req.auth = { ...key, personId: named, onBehalfOf: true };
      return undefined;
    };
    const exists = found ?? keys.personExists(key.organizationId, named!);
    return typeof exists === 'boolean' ? actAs(exists) : exists.then(actAs);
  };
  const lookUp = async (req: FastifyRequest, secret: string | null, named: string | null | undefined) => {
    unauthenticated.check(req);
    const found = secret ? await keys.lookup(secret, named ?? undefined) : null;
    if (!found) {
      await unauthenticated.count(req);
      throw new Unauthorized();
    }
    const refused = await admit(req, found.key, named, found.actedPersonFound);
    if (refused) throw refused;
  };
  // A callback hook: a key this process already knows is admitted without a promise (and so is a
  // person it acts on behalf of that this process has seen lately).
  app.addHook('onRequest', (req, _reply, done) => {
    const config = routeConfigOf(req);
    if (config.public || !config.url) return done();
    const secret = bearer(req);
    const named = onBehalfOfHeader(req);
    const known = secret ? keys.known(secret) : undefined;
    if (!known) return void lookUp(req, secret, named).then(() => done(), done);
    const admitted = admit(req, known, named);
    if (admitted instanceof Promise) return void admitted.then((refused) => done(refused), done);
    done(admitted);
  });
}

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { Agent, buildConnector, request } from 'undici';
import { BLOCKED_CODE, blockedError, forbiddenReason, guardedLookup } from './ssrf.js';
import { signatureHeader } from './signing.js';

/** Most of a receiver's response we keep; beyond this we stop reading and drop the connection. */
export const MAX_RESPONSE_EXCERPT_BYTES = 20 * 1024;

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 15_000;

export type WebhookErrorClass = 'dns' | 'connect' | 'tls' | 'timeout' | 'blocked' | 'http';

export interface WebhookSendResult {
  ok: boolean;
  status: number | null;
  bodyExcerpt: string;
  durationMs: number;
  errorClass: null | WebhookErrorClass;
  error: string | null;
  retryAfter: string | undefined;
}

export interface SendWebhookOptions {
  agent: Agent;
  url: string;
  msgId: string;
  timestampSec: number;
  body: string;
  secrets: string[];
  timeoutMs: number;
  userAgent: string;
}

/**
 * An Agent that refuses forbidden addresses on every connection. Literal IPs never reach a
 * `lookup` function in node's net, so they are checked here before connecting.
 */
export function createWebhookAgent(opts: { allow: net.BlockList; timeoutMs: number }): Agent {
  const base = buildConnector({ timeout: opts.timeoutMs, lookup: guardedLookup(opts.allow) });
  const connect: buildConnector.connector = (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const reason = net.isIP(host) !== 0 ? forbiddenReason(host, opts.allow) : null;
    if (reason !== null) {
      process.nextTick(callback, blockedError(host, host, reason), null);
      return;
    }
    base(options, callback);
  };
  return new Agent({ connect, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | null;
  if (e == null) return undefined;
  if (typeof e.code === 'string') return e.code;
  // Happy-eyeballs failures arrive as an AggregateError of the per-address errors.
  if (Array.isArray(e.errors) && e.errors.length > 0) return errorCode(e.errors[0]);
  if (e.cause !== undefined && e.cause !== err) return errorCode(e.cause);
  return undefined;
}

function classify(err: unknown): WebhookErrorClass {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  const code = errorCode(err) ?? '';
  if (code === BLOCKED_CODE) return 'blocked';
  if (DNS_CODES.has(code)) return 'dns';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (/^(ERR_TLS_|ERR_SSL_|ERR_OSSL_)|CERT|^UNABLE_TO_/.test(code)) return 'tls';
  if (code.startsWith('HPE_')) return 'http';
  return 'connect';
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = errorCode(err);
  const message = err.message || (err instanceof AggregateError ? String(err.errors[0]) : err.name);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

// Invalid bytes decode to U+FFFD (3 bytes each), so the decoded text can outgrow the bytes read.
// NUL, which PostgreSQL text cannot hold (the attempt could not be recorded), becomes U+FFFD too.
function clampUtf8(raw: string, maxBytes: number): string {
  const text = raw.includes('\u0000') ? raw.replaceAll('\u0000', '\uFFFD') : raw;
  if (Buffer.byteLength(text) <= maxBytes) return text;
  return new StringDecoder('utf8').write(Buffer.from(text).subarray(0, maxBytes));
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Sends one attempt. Never throws: every failure is reported in the result. */
export async function sendWebhook(opts: SendWebhookOptions): Promise<WebhookSendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let status: number | null = null;
  let retryAfter: string | undefined;
  const decoder = new StringDecoder('utf8');
  let bodyExcerpt = '';
  try {
    const protocol = new URL(opts.url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw Object.assign(new Error(`unsupported URL scheme ${protocol}`), { code: BLOCKED_CODE });
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': opts.userAgent,
      'webhook-id': opts.msgId,
      'webhook-timestamp': String(opts.timestampSec),
      'webhook-signature': signatureHeader(opts.secrets, opts.msgId, opts.timestampSec, opts.body),
    };
    // One signal spans connect, headers and body, so a slow-drip body can't outlive the time-out.
    // No redirect interceptor is installed on the agent, so 3xx responses are returned as-is.
    const res = await request(opts.url, {
      dispatcher: opts.agent,
      method: 'POST',
      headers,
      body: opts.body,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    status = res.statusCode;
    retryAfter = firstHeader(res.headers['retry-after']);
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const take = Math.min(chunk.length, MAX_RESPONSE_EXCERPT_BYTES - size);
        // StringDecoder holds back a split multi-byte character instead of emitting U+FFFD.
        bodyExcerpt += decoder.write(chunk.subarray(0, take));
        size += take;
        if (take < chunk.length) break;
      }
    } finally {
      if (!res.body.destroyed) res.body.destroy();
    }
    bodyExcerpt = clampUtf8(bodyExcerpt, MAX_RESPONSE_EXCERPT_BYTES);
    const durationMs = elapsed();
    if (status >= 200 && status < 300) {
      return { ok: true, status, bodyExcerpt, durationMs, errorClass: null, error: null, retryAfter };
    }
    const location = firstHeader(res.headers['location']);
    const error =
      status >= 300 && status < 400
        ? `redirect not followed (HTTP ${status}${location ? ` to ${location}` : ''})`
        : `receiver responded with HTTP ${status}`;
    return { ok: false, status, bodyExcerpt, durationMs, errorClass: 'http', error, retryAfter };
  } catch (err) {
    return {
      ok: false,
      status,
      bodyExcerpt: clampUtf8(bodyExcerpt, MAX_RESPONSE_EXCERPT_BYTES),
      durationMs: elapsed(),
      errorClass: classify(err),
      error: describeError(err),
      retryAfter,
    };
  }
}

import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { problemType, type Problem } from './errors.js';

// Node's HTTP parser refuses some requests before Fastify sees them: a request line and headers
// over `maxHeaderSize`, a malformed request line or header, broken framing, a request not
// received within `requestTimeout`. Node then emits `clientError` with only the socket: there is
// no request, no reply and no route, so the problem answer is written on the socket as a whole
// HTTP response, and the connection is closed because the parser cannot tell where the next
// request would start.

/** How long a refused connection may stay open for its answer to be read before it is cut. */
const LINGER_MS = 2000;

function refusal(code: string | undefined): { status: number; detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: `The request line and header fields together exceed ${maxHeaderSize} bytes.` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, detail: 'The chunk extensions of the request body are too large.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'The request was not received in time.' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, detail: 'The request line does not start with a valid HTTP method.' };
    case 'HPE_INVALID_URL':
      return { status: 400, detail: 'The request target is not a valid URL.' };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return { status: 400, detail: 'A header field is malformed.' };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, detail: 'The body framing (Content-Length or Transfer-Encoding) is invalid.' };
    default:
      return { status: 400, detail: 'The request is not valid HTTP/1.1: the request line or a header is malformed.' };
  }
}

/** The raw HTTP response: status line, headers and problem body, nothing left for Fastify to add. */
export function rawProblemResponse(status: number, detail: string, requestId: string): string {
  const body: Problem = { ...problemType(status), status, detail, requestId };
  const text = JSON.stringify(body);
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/problem+json',
    `content-length: ${Buffer.byteLength(text)}`,
    'cache-control: no-store',
    `x-request-id: ${requestId}`,
    'connection: close',
    '',
    text,
  ].join('\r\n');
}

/**
 * Writes a whole response and closes. Closing while the client is still sending would reset the
 * connection and could discard the answer in the client's receive buffer: end our side, and cut
 * once the client ends its side, or stays silent too long (or at once when `cutWhenSent`).
 */
function answerAndClose(socket: Socket, response: string, cutWhenSent = false) {
  const cut = () => socket.destroy();
  socket.once('end', cut);
  setTimeout(cut, LINGER_MS).unref();
  socket.end(response, cutWhenSent ? cut : undefined);
}

const answered = new WeakSet<Socket>();

/**
 * Fastify's `clientErrorHandler` option. A request id is made up here (there was no request to
 * give one) and logged with the refusal, so that the id a client reports can be found.
 */
export function answerClientError(this: FastifyInstance, err: Error & { code?: string }, socket: Socket) {
  // A reset connection has nobody to answer; the parser reports each later chunk again: answer once.
  if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  const { status, detail } = refusal(err.code);
  const requestId = randomUUID();
  this.log.info({ requestId, status, code: err.code }, 'request refused by the HTTP parser');
  // As Node does: never write into a response that has already begun on this connection.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  // A timed-out client is stalled: nothing more is coming, so the connection goes once answered.
  answerAndClose(socket, rawProblemResponse(status, detail, requestId), err.code === 'ERR_HTTP_REQUEST_TIMEOUT');
}

/**
 * Node hands a CONNECT request to the server's `connect` listeners instead of Fastify, and with
 * none it drops the connection unanswered. Liaison is not a proxy: the answer is a problem.
 */
export function refuseConnect(_req: IncomingMessage, socket: Socket) {
  answerAndClose(socket, rawProblemResponse(501, 'CONNECT is not supported: this server is not a proxy.', randomUUID()));
}

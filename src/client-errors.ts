import { STATUS_CODES, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { type ErrorCode, errorBody } from "./errors.ts";
import { newRequestId } from "./ids.ts";

/**
 * Requests Node's HTTP parser refuses never reach Hono, and Node's own answer has no body.
 * This `clientError` handler gives them the error envelope: the same statuses as Node's
 * default (431 for headers over --max-http-header-size, 16 KiB by default; 413 for chunk
 * extensions over their limit; 408 for a request not received in time; 400 for the rest,
 * e.g. both Content-Length and Transfer-Encoding), then the connection is closed. What it
 * cannot answer: a client that has gone or reset the connection (the socket is no longer
 * writable; it is just closed), and anything after the refused bytes on that connection
 * (the parser stops there; pipelined requests behind it are never read).
 */
const answers: Record<string, { status: number; code: ErrorCode; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: "BAD_REQUEST", message: "The request's headers are larger than this server accepts." },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: "PAYLOAD_TOO_LARGE", message: "The request's chunk extensions are larger than this server accepts." },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: "BAD_REQUEST", message: "The request was not received in time." },
};
const otherwise = { status: 400, code: "BAD_REQUEST", message: "The request is not valid HTTP/1.1 (e.g. conflicting Content-Length and Transfer-Encoding headers)." } as const;

export function answerClientErrors(server: Server, logger: Logger): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const answer = answers[error.code ?? ""] ?? otherwise;
    const requestId = newRequestId();
    // No "request" line: this never became a request. Only the parser's code, no bytes of the input.
    logger.info({ requestId, status: answer.status, parserError: error.code }, "unreadable request");
    const respond = () => {
      if (!socket.writable) return void socket.destroy();
      const body = JSON.stringify(errorBody(answer.code, answer.message, requestId));
      const head = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}`, "Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`, `X-Request-Id: ${requestId}`, "Connection: close"];
      socket.end(`${head.join("\r\n")}\r\n\r\n${body}`, () => socket.destroy());
    };
    // A keep-alive connection may still owe the answer to an earlier request (pipelined in the
    // same packet, the parser fails before the app has answered): send that first, then ours.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight && !inFlight.writableFinished) inFlight.once("finish", respond);
    else respond();
    setTimeout(() => socket.destroy(), 10_000).unref(); // a peer that does not read, an app that never answers
  });
}

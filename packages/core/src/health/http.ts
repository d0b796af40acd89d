// The HTTP port of the health checks: one request with a hard timeout, the body read up to a limit.
// Tests and benchmarks pass their own HttpClient (for example one that runs in simulated time).
import { CancelledError } from "../runtime/errors";
import { SHIPLINE_VERSION } from "../runtime/version";

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  durationMs: number;
}

/** The request got no HTTP response: refused, reset, timed out, DNS failure. */
export class HttpRequestError extends Error {
  constructor(
    message: string,
    readonly durationMs: number,
  ) {
    super(message);
    this.name = "HttpRequestError";
  }
}

export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

export const USER_AGENT = `shipline/${SHIPLINE_VERSION} (health-gate)`;

/** Bodies are read up to this size; a health or smoke response larger than that is cut. */
export const MAX_BODY_BYTES = 1024 * 1024;

function describeFailure(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code === "ECONNREFUSED") return "connection refused";
  if (cause?.code === "ECONNRESET" || cause?.code === "UND_ERR_SOCKET") return "connection reset";
  if (cause?.code === "ENOTFOUND" || cause?.code === "EAI_AGAIN") return "host not found";
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8");
}

/**
 * The real client, on the runtime's fetch. Redirects are not followed: a health endpoint that
 * redirects is reported with its 3xx status, as a load balancer's health check would see it.
 */
export function createHttpClient(): HttpClient {
  return async (request) => {
    if (request.signal?.aborted) throw new CancelledError();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
    const started = performance.now();
    try {
      const init: RequestInit = { method: request.method, redirect: "manual", signal };
      const requestHeaders = new Headers(request.headers);
      // Lets a service tell the gate's requests apart in its access log.
      if (!requestHeaders.has("user-agent")) requestHeaders.set("user-agent", USER_AGENT);
      init.headers = requestHeaders;
      if (request.body !== undefined) init.body = request.body;
      const response = await fetch(request.url, init);
      const body = await readLimited(response);
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      return { status: response.status, headers, body, durationMs: performance.now() - started };
    } catch (error) {
      if (request.signal?.aborted) {
        throw request.signal.reason instanceof Error ? request.signal.reason : new CancelledError();
      }
      throw new HttpRequestError(
        describeFailure(error, request.timeoutMs, timeout.signal.aborted),
        performance.now() - started,
      );
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Absolute URLs are returned as they are; a path is appended to the base URL, keeping the base's own
 * path ("https://shop.example.com/api" + "/health" is "https://shop.example.com/api/health").
 */
export function resolveUrl(url: string, baseUrl: string | undefined): string {
  if (/^https?:\/\//i.test(url)) return url;
  if (!baseUrl) throw new Error(`${JSON.stringify(url)} is a path and no base URL is set`);
  return `${baseUrl.replace(/\/+$/, "")}/${url.replace(/^\/+/, "")}`;
}

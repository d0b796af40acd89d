// The real HTTP client of the health checks, against a loopback server.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHttpClient,
  HttpRequestError,
  MAX_BODY_BYTES,
  USER_AGENT,
} from "../../../../packages/core/src/health/http";
import { CancelledError } from "../../../../packages/core/src/runtime/errors";

let server: Server;
let base: string;
const seen: {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (req.url === "/hang") return; // never answers
      if (req.url === "/redirect") {
        res.writeHead(302, { location: "/elsewhere" }).end();
        return;
      }
      if (req.url === "/huge") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("x".repeat(MAX_BODY_BYTES + 5_000));
        return;
      }
      res.writeHead(201, { "X-Served-By": "task-1", "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("createHttpClient", () => {
  const http = createHttpClient();

  it("sends the method, headers and body, and reads status, lower-cased headers and body", async () => {
    const response = await http({
      method: "POST",
      url: `${base}/orders`,
      headers: { "content-type": "application/json" },
      body: '{"sku":"A-1"}',
      timeoutMs: 2_000,
    });
    expect(response).toMatchObject({ status: 201, body: '{"ok":true}' });
    expect(response.headers["x-served-by"]).toBe("task-1");
    expect(response.durationMs).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ method: "POST", url: "/orders", body: '{"sku":"A-1"}' });
    expect(seen.at(-1)?.headers["user-agent"]).toBe(USER_AGENT);
  });

  it("keeps a user agent the caller gives", async () => {
    await http({ method: "GET", url: `${base}/x`, headers: { "User-Agent": "smoke/1" }, timeoutMs: 2_000 });
    expect(seen.at(-1)?.headers["user-agent"]).toBe("smoke/1");
  });

  it("reports a redirect as it is, without following it", async () => {
    const response = await http({ method: "GET", url: `${base}/redirect`, timeoutMs: 2_000 });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe("/elsewhere");
  });

  it("cuts a body at the limit", async () => {
    const response = await http({ method: "GET", url: `${base}/huge`, timeoutMs: 5_000 });
    expect(response.body.length).toBe(MAX_BODY_BYTES);
  });

  it("gives up at the timeout with a reason", async () => {
    const started = performance.now();
    const error = await http({ method: "GET", url: `${base}/hang`, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as Error).message).toBe("timed out after 200 ms");
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("says when the connection is refused", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await http({ method: "GET", url: `http://127.0.0.1:${port}/`, timeoutMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpRequestError);
    expect((error as Error).message).toBe("connection refused");
  });

  it("stops at once when the run is cancelled, as a cancellation and not a failed probe", async () => {
    const controller = new AbortController();
    const pending = http({
      method: "GET",
      url: `${base}/hang`,
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new CancelledError()), 50);
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });
});

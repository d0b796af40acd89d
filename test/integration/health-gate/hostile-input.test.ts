// health-gate against careless input, through the committed bundle: timings that contradict each
// other and URLs that are not URLs are refused before the first probe is sent.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAction } from "../../rig/harness";

let server: Server;
let probes = 0;
let base = "";
beforeAll(async () => {
  server = createServer((_req, res) => {
    probes++;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("health-gate refuses contradictory or hostile input before probing", () => {
  it.each([
    [
      "a probe timeout longer than the probe interval",
      () => ({ "health-urls": `${base}/health`, "probe-interval": "1s", "probe-timeout": "5s" }),
      /Input `probe-timeout`: 5s is longer than `probe-interval` \(1s\)/,
    ],
    [
      "a base URL whose host is shell syntax",
      () => ({ "base-url": "http://$(id)", "health-urls": "/health" }),
      /Input `base-url`: "http:\/\/\$\(id\)" has no valid host name/,
    ],
    [
      "a health URL with a backtick host",
      () => ({ "health-urls": "http://`id`/health" }),
      /Input `health-urls`: .*(not a URL|no valid host name)/,
    ],
    [
      "a health path with shell syntax",
      () => ({ "base-url": base, "health-urls": "/health;$(id)" }),
      /Input `health-urls`: the path "\/health;\$\(id\)" is not a URL path/,
    ],
  ])("%s", async (_name, inputs, error) => {
    const before = probes;
    const run = await runAction("health-gate", { inputs: inputs(), timeoutMs: 30_000 });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(error);
    expect(run.stdout).not.toContain("This is a bug in shipline");
    expect(probes).toBe(before);
  });
});

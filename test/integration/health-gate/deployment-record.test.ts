// health-gate records its verdict on the GitHub deployment ecs-deploy created (`deployment-id`), as a
// marked status preflight reads back: the committed bundle against a loopback service and the fake
// GitHub.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseMark } from "../../../packages/core/src/github/deployment-record";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { everythingPrinted, runAction } from "../../rig/harness";

const TOKEN = "ghs_gateRecordToken0123456789abcdefABCDEF";
let server: Server | undefined;
let github: FakeGitHub | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await github?.close();
  server = undefined;
  github = undefined;
});

async function serve(status: number): Promise<string> {
  server = createServer((_req, res) => {
    res.statusCode = status;
    res.end(status === 200 ? "ok" : "down");
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function gate(status: number, extra: Record<string, string> = {}) {
  const url = await serve(status);
  github = await startFakeGitHub();
  const id = github.state.nextId();
  github.state.deployments.push({
    id,
    ref: "main",
    environment: "staging",
    description: "",
    payload: {},
    statuses: [],
  });
  const run = await runAction("health-gate", {
    env: { GITHUB_API_URL: github.url },
    inputs: {
      "base-url": url,
      "health-urls": "/health",
      // Long enough that a busy machine's delays do not turn a healthy probe into a timeout.
      "probe-interval": "1s",
      "probe-timeout": "1s",
      "success-threshold": "2",
      "failure-threshold": "2",
      soak: "0s",
      timeout: "20s",
      "github-token": TOKEN,
      "deployment-id": String(id),
      ...extra,
    },
  });
  return { run, deployment: github.state.deployments[0] };
}

describe("health-gate's verdict on the GitHub deployment", () => {
  it("adds a success marked gate:pass when the gate passes", async () => {
    const { run, deployment } = await gate(200);
    expect(run.outputs.verdict).toBe("pass");
    expect(deployment?.statuses).toHaveLength(1);
    expect(deployment?.statuses[0]?.state).toBe("success");
    expect(parseMark(deployment?.statuses[0]?.description)).toEqual({ kind: "gate", verdict: "pass" });
    expect(everythingPrinted(run)).not.toContain(TOKEN);
  });

  it("adds a failure marked gate:fail when the gate fails, and still fails the step", async () => {
    const { run, deployment } = await gate(500);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    expect(deployment?.statuses[0]?.state).toBe("failure");
    expect(parseMark(deployment?.statuses[0]?.description)).toEqual({ kind: "gate", verdict: "fail" });
  });

  it("refuses a deployment id without a token before probing anything", async () => {
    const { run, deployment } = await gate(200, { "github-token": "" });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/deployment-id/);
    expect(deployment?.statuses).toEqual([]);
  });
});

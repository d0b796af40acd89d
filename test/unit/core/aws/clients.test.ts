import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeClustersCommand, ECSClient } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  awsClientConfig,
  createAwsClient,
  warnIfBeyondSessionLife,
} from "../../../../packages/core/src/aws/clients";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { SHIPLINE_VERSION } from "../../../../packages/core/src/runtime/version";

interface Seen {
  target: string | undefined;
  userAgent: string;
}

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let failNext = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on("end", () => {
      seen.push({
        target: req.headers["x-amz-target"] as string | undefined,
        userAgent: `${req.headers["user-agent"] ?? ""} ${req.headers["x-amz-user-agent"] ?? ""}`,
      });
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (failNext > 0) {
        failNext--;
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }));
        return;
      }
      res.end(JSON.stringify({ clusters: [{ clusterName: "prod", status: "ACTIVE" }], failures: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credentials = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG" };

// The SDK's default credential chain reads the process environment, as it does on a runner.
beforeAll(() => {
  for (const [key, value] of Object.entries(credentials)) vi.stubEnv(key, value);
  return () => vi.unstubAllEnvs();
});

describe("createAwsClient", () => {
  it("sends requests to the endpoint override with the shipline user agent", async () => {
    const ecs = createAwsClient(ECSClient, { region: "eu-west-1", endpoint }, { env: credentials });
    const out = await ecs.send(new DescribeClustersCommand({ clusters: ["prod"] }));
    expect(out.clusters?.[0]?.clusterName).toBe("prod");
    const last = seen.at(-1);
    expect(last?.target).toBe("AmazonEC2ContainerServiceV20141113.DescribeClusters");
    expect(last?.userAgent).toContain(`shipline/${SHIPLINE_VERSION}`);
  });

  it("leaves endpoint selection to the SDK's AWS_ENDPOINT_URL_<SERVICE> variables when no override is given", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_ECS", endpoint);
    try {
      const ecs = createAwsClient(ECSClient, { region: "eu-west-1" }, { env: credentials });
      const before = seen.length;
      await ecs.send(new DescribeClustersCommand({ clusters: ["prod"] }));
      expect(seen.length - before).toBe(1);
    } finally {
      vi.stubEnv("AWS_ENDPOINT_URL_ECS", undefined);
    }
  });

  it("builds the client with the retry mode and attempts it is given, standard and 5 by default", async () => {
    const adaptive = createAwsClient(
      ECSClient,
      { region: "eu-west-1", retryMode: "adaptive", maxAttempts: 7 },
      { env: credentials },
    );
    const modeOf = async (client: ECSClient) =>
      ((await client.config.retryStrategy()) as { mode?: string }).mode;
    expect(await modeOf(adaptive)).toBe("adaptive");
    expect(await adaptive.config.maxAttempts()).toBe(7);
    const plain = createAwsClient(ECSClient, { region: "eu-west-1" }, { env: credentials });
    expect(await modeOf(plain)).toBe("standard");
    expect(await plain.config.maxAttempts()).toBe(5);
  });

  it("takes AWS_RETRY_MODE and AWS_MAX_ATTEMPTS when the step sets neither, and the input over them", () => {
    const env = { AWS_REGION: "eu-west-1", AWS_RETRY_MODE: "Adaptive", AWS_MAX_ATTEMPTS: "9" };
    expect(awsClientConfig({}, env)).toMatchObject({ retryMode: "adaptive", maxAttempts: 9 });
    expect(awsClientConfig({ maxAttempts: 2, retryMode: "standard" }, env)).toMatchObject({
      retryMode: "standard",
      maxAttempts: 2,
    });
    // Values the SDK would reject are ignored, not fatal.
    expect(
      awsClientConfig({}, { AWS_REGION: "eu-west-1", AWS_RETRY_MODE: "legacy", AWS_MAX_ATTEMPTS: "0" }),
    ).toMatchObject({ retryMode: "standard", maxAttempts: 5 });
    expect(awsClientConfig({}, { AWS_REGION: "eu-west-1", AWS_MAX_ATTEMPTS: "three" }).maxAttempts).toBe(5);
  });

  it("prefers the endpoint input over the AWS_ENDPOINT_URL variables", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:9");
    vi.stubEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    try {
      const ecs = createAwsClient(
        ECSClient,
        { region: "eu-west-1", endpoint, maxAttempts: 1 },
        { env: credentials },
      );
      const before = seen.length;
      await ecs.send(new DescribeClustersCommand({ clusters: ["prod"] }));
      expect(seen.length - before).toBe(1);
    } finally {
      vi.stubEnv("AWS_ENDPOINT_URL_ECS", undefined);
      vi.stubEnv("AWS_ENDPOINT_URL", undefined);
    }
  });

  it("retries throttling up to the configured attempts", async () => {
    const ecs = createAwsClient(
      ECSClient,
      { region: "eu-west-1", endpoint, maxAttempts: 3 },
      { env: credentials },
    );
    const before = seen.length;
    failNext = 2;
    await ecs.send(new DescribeClustersCommand({ clusters: ["prod"] }));
    expect(seen.length - before).toBe(3);
  });

  it("names the aws-region input when no region is known", () => {
    expect(() => awsClientConfig({}, {})).toThrow(UserError);
    try {
      awsClientConfig({}, {});
    } catch (error) {
      expect((error as UserError).input).toBe("aws-region");
    }
  });

  it("falls back to AWS_REGION, then AWS_DEFAULT_REGION", () => {
    expect(awsClientConfig({}, { AWS_REGION: "us-east-2", AWS_DEFAULT_REGION: "x" }).region).toBe(
      "us-east-2",
    );
    expect(awsClientConfig({}, { AWS_DEFAULT_REGION: "ap-south-1" }).region).toBe("ap-south-1");
  });

  it("registers the environment's credentials as secrets", () => {
    const logger = new RecordingLogger();
    createAwsClient(
      ECSClient,
      { region: "eu-west-1" },
      { env: { ...credentials, AWS_SESSION_TOKEN: "FwoGZXIvYXdzEJr" }, logger },
    );
    expect(logger.secrets.redact("key wJalrXUtnFEMI/K7MDENG token FwoGZXIvYXdzEJr")).toBe(
      "key *** token ***",
    );
  });

  it("warns when a wait budget outlives one-hour session credentials", () => {
    const logger = new RecordingLogger();
    warnIfBeyondSessionLife(30 * 60_000, "wait-timeout", logger);
    expect(logger.lines).toEqual([]);
    warnIfBeyondSessionLife(90 * 60_000, "wait-timeout", logger);
    expect(logger.text("warning")).toMatch(/`wait-timeout` allows 90 minutes/);
  });
});

// The optional service deployments API: an answer about another deployment is not taken for the one
// asked, an endpoint that leaves currentServiceDeployment out is said once, and a failure of any kind
// (an HTML page included) degrades to the DescribeServices path with one warning.
import {
  DescribeServiceDeploymentsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type Service,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ServiceDeploymentsApi } from "../../../../packages/core/src/ecs/service-deployments";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: "eu-west-1" });
beforeEach(() => ecsMock.reset());

const warnings = (logger: RecordingLogger) => logger.lines.filter((l) => l.level === "warning");

describe("ServiceDeploymentsApi", () => {
  it("does not take an answer about another service deployment for the one asked", async () => {
    ecsMock.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: "arn:other", status: "SUCCESSFUL" }],
    });
    const api = new ServiceDeploymentsApi(ecs, new RecordingLogger());
    expect(await api.describe("arn:asked")).toBeUndefined();
  });

  it("says once that services come without currentServiceDeployment, and only when they do", () => {
    const logger = new RecordingLogger();
    const api = new ServiceDeploymentsApi(ecs, logger);
    const withCurrent: Service = {
      serviceName: "web",
      currentServiceDeployment: "arn:sd",
      deployments: [{ id: "d", status: "PRIMARY" }],
    };
    expect(api.currentOf(withCurrent)).toBe("arn:sd");
    expect(warnings(logger)).toEqual([]);
    const without: Service = { serviceName: "web", deployments: [{ id: "d", status: "PRIMARY" }] };
    expect(api.currentOf(without)).toBeUndefined();
    expect(api.currentOf({ ...without, serviceName: "worker" })).toBeUndefined();
    expect(warnings(logger)).toHaveLength(1);
    expect(warnings(logger)[0]?.message).toMatch(
      /DescribeServices gives no currentServiceDeployment for web .*service-deployment-arn outputs stay empty/,
    );
  });

  it("degrades to unavailable on an HTML page, naming its status, with one warning", async () => {
    const page = Object.assign(new SyntaxError("Unexpected token '<'"), {
      $metadata: { httpStatusCode: 500 },
      $response: { statusCode: 500, headers: { "content-type": "text/html" } },
    });
    ecsMock.on(ListServiceDeploymentsCommand).rejects(page);
    const logger = new RecordingLogger();
    const api = new ServiceDeploymentsApi(ecs, logger);
    expect(await api.list("prod", "web")).toBeUndefined();
    expect(await api.describe("arn:sd")).toBeUndefined();
    expect(api.available).toBe(false);
    expect(api.unavailableReason).toBe(
      "HTTP 500 with a body that is not an AWS answer (text/html) on ListServiceDeployments",
    );
    expect(warnings(logger)).toHaveLength(1);
    // Once unavailable, nothing more is sent.
    expect(ecsMock.commandCalls(DescribeServiceDeploymentsCommand)).toHaveLength(0);
  });
});

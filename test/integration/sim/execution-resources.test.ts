// What the simulator reads with a task's execution role before the task starts, through the real SDK
// clients: secrets seeded with the Secrets Manager and SSM APIs, environment files, and the task that
// stops with Fargate's ResourceInitializationError when the role may not read one or it is missing.

import { DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetParametersCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator, type TaskRuntime, type TaskRuntimeTask } from "../../sim/index";
import { simulatorClientConfig, simulatorClients } from "./clients";
import { NETWORK, REGISTRY, webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const ROLE = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
const MINUTE = 60_000;

class Recorder implements TaskRuntime {
  readonly started: TaskRuntimeTask[] = [];
  onTaskStarting(task: TaskRuntimeTask): undefined {
    this.started.push(task);
    return undefined;
  }
}

async function start() {
  const s = await startSimulator({ scenario: { ...webScenario(), clock: { mode: "manual" } } });
  const config = simulatorClientConfig(s);
  return {
    s,
    ecs: simulatorClients(s).ecs,
    secrets: new SecretsManagerClient(config),
    ssm: new SSMClient(config),
  };
}

/** Registers web:2 with the container's extra fields and runs one task of it; returns the task when it settles. */
async function runWith(
  s: Simulator,
  ecs: ReturnType<typeof simulatorClients>["ecs"],
  container: Record<string, unknown>,
) {
  const definition = webTaskDefinition(`${REGISTRY}/web:1`);
  const [app] = definition.containerDefinitions;
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...definition,
      containerDefinitions: [{ ...app, ...container }],
    } as never),
  );
  const run = await ecs.send(
    new RunTaskCommand({ taskDefinition: "web:2", launchType: "FARGATE", networkConfiguration: NETWORK }),
  );
  const arn = run.tasks?.[0]?.taskArn ?? "";
  s.runUntil(() => {
    const task = s.ecs.task(arn);
    return task?.lastStatus === "RUNNING" || task?.lastStatus === "STOPPED";
  }, 10 * MINUTE);
  const out = await ecs.send(new DescribeTasksCommand({ tasks: [arn] }));
  return out.tasks?.[0];
}

describe("Secrets Manager and SSM through the SDK", () => {
  it("creates, versions and reads secrets and parameters as the APIs do", async () => {
    const { s, secrets, ssm } = await start();
    sim = s;
    const created = await secrets.send(new CreateSecretCommand({ Name: "shop/db", SecretString: "one" }));
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop\/db-[A-Za-z0-9]{6}$/,
    );
    await secrets.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: "two" }));
    const current = await secrets.send(new GetSecretValueCommand({ SecretId: "shop/db" }));
    const previous = await secrets.send(
      new GetSecretValueCommand({ SecretId: created.ARN, VersionStage: "AWSPREVIOUS" }),
    );
    expect([current.SecretString, previous.SecretString]).toEqual(["two", "one"]);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: "shop/none" }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await ssm.send(new PutParameterCommand({ Name: "/shop/key", Value: "k-1", Type: "SecureString" }));
    const read = await ssm.send(
      new GetParametersCommand({ Names: ["/shop/key", "/shop/none"], WithDecryption: true }),
    );
    expect(read.Parameters?.map((p) => [p.Name, p.Value, p.ARN])).toEqual([
      ["/shop/key", "k-1", "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/key"],
    ]);
    expect(read.InvalidParameters).toEqual(["/shop/none"]);
    const hidden = await ssm.send(new GetParametersCommand({ Names: ["/shop/key"] }));
    expect(hidden.Parameters?.[0]?.Value).not.toBe("k-1");
  });
});

describe("task start with the execution role", () => {
  it("hands the runtime the secret's JSON key, the parameter and the environment file's variables", async () => {
    const { s, ecs } = await start();
    sim = s;
    const runtime = new Recorder();
    await s.ecs.setTaskRuntime(runtime);
    const secretArn = s.secretsmanager.put("shop/db", JSON.stringify({ password: "pw-1", user: "shop" }));
    const parameterArn = s.ssm.put("/shop/key", "k-1", { type: "SecureString" });
    const fileArn = s.s3.putObject(
      "shop-config",
      "web.env",
      "# settings\nREGION=eu\nAPP_VERSION=from-file\n",
    );
    s.iam.allow(ROLE, {
      actions: ["secretsmanager:GetSecretValue"],
      resources: ["arn:aws:secretsmanager:*:*:secret:shop/*"],
    });
    s.iam.allow(ROLE, { actions: ["ssm:GetParameters"], resources: [parameterArn] });
    s.iam.allow(ROLE, { actions: ["s3:GetObject"], resources: ["arn:aws:s3:::shop-config/*"] });
    s.iam.allow(ROLE, { actions: ["s3:GetBucketLocation"], resources: ["arn:aws:s3:::shop-config"] });
    const task = await runWith(s, ecs, {
      secrets: [
        { name: "DB_PASSWORD", valueFrom: `${secretArn}:password::` },
        { name: "API_KEY", valueFrom: "/shop/key" },
      ],
      environmentFiles: [{ value: fileArn, type: "s3" }],
    });
    expect(task?.lastStatus).toBe("RUNNING");
    const container = runtime.started.at(-1)?.containers[0];
    expect(container?.secretValues).toEqual({ DB_PASSWORD: "pw-1", API_KEY: "k-1" });
    // The definition's own variables win over the file's.
    expect(container?.environment).toEqual({ REGION: "eu", APP_VERSION: "1" });
    expect(JSON.stringify(task)).not.toContain("pw-1");
  });

  it.each([
    [
      "a role that may not read the secret",
      (s: Simulator) => ({ secrets: [{ name: "DB", valueFrom: s.secretsmanager.put("shop/db", "x") }] }),
      /^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time\(s\): failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop\/db-\w{6} from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role\/ecsTaskExecutionRole\/\w+ is not authorized to perform: secretsmanager:GetSecretValue on resource: .* because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400, request id: /,
    ],
    [
      "a secret that does not exist",
      (s: Simulator) => {
        s.iam.allow(ROLE, { actions: ["secretsmanager:*"], resources: ["*"] });
        return {
          secrets: [
            {
              name: "DB",
              valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/gone-AbCdEf",
            },
          ],
        };
      },
      /failed to fetch secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop\/gone-AbCdEf from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret\./,
    ],
    [
      "a secret under a customer managed key the role may not use",
      (s: Simulator) => {
        const arn = s.secretsmanager.put("shop/db", "x", {
          kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k1",
        });
        s.iam.allow(ROLE, { actions: ["secretsmanager:GetSecretValue"], resources: [arn] });
        return { secrets: [{ name: "DB", valueFrom: arn }] };
      },
      /AccessDeniedException: Access to KMS is not allowed/,
    ],
    [
      "a missing SSM parameter",
      (s: Simulator) => {
        s.iam.allow(ROLE, { actions: ["ssm:GetParameters"], resources: ["*"] });
        return { secrets: [{ name: "KEY", valueFrom: "/shop/none" }] };
      },
      /unable to retrieve secrets from ssm: service call has been retried 1 time\(s\): invalid parameters: \/shop\/none$/,
    ],
    [
      "an environment file the role may not read",
      (s: Simulator) => ({
        environmentFiles: [{ value: s.s3.putObject("cfg", "a.env", "A=1"), type: "s3" }],
      }),
      /^ResourceInitializationError: failed to download env files: file download command: non empty error stream: service call has been retried 5 time\(s\): AccessDenied: Access Denied status code: 403/,
    ],
  ])("stops the task with TaskFailedToStart for %s", async (_case, container, reason) => {
    const { s, ecs } = await start();
    sim = s;
    const task = await runWith(s, ecs, container(s));
    expect(task?.lastStatus).toBe("STOPPED");
    expect(task?.stopCode).toBe("TaskFailedToStart");
    expect(task?.stoppedReason).toMatch(reason);
    expect(task?.containers?.[0]?.exitCode).toBeUndefined();
  });

  it("refuses to register secrets without an execution role, as ECS does", async () => {
    const { s, ecs } = await start();
    sim = s;
    const definition = webTaskDefinition(`${REGISTRY}/web:1`);
    const { executionRoleArn: _, ...withoutRole } = definition;
    const [app] = definition.containerDefinitions;
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          ...withoutRole,
          containerDefinitions: [{ ...app, secrets: [{ name: "A", valueFrom: "/x" }] }],
        } as never),
      ),
    ).rejects.toThrow(
      "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.",
    );
  });
});

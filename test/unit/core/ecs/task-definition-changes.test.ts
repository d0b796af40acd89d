// What a step may change in a task definition: secret sources checked by shape, placeholders filled
// from the environment (or named when they have no value), Fargate's sizes, and every per-container
// and task-level change applied to a copy, with errors naming the input at fault.
import { describe, expect, it } from "vitest";
import { fargateSizeProblem } from "../../../../packages/core/src/ecs/fargate-sizes";
import { fillPlaceholders } from "../../../../packages/core/src/ecs/placeholders";
import {
  parseEnvironmentFileArn,
  parseSecretReference,
  SecretReferenceError,
} from "../../../../packages/core/src/ecs/secret-reference";
import {
  readTaskDefinitionFile,
  renderTaskDefinition,
  type TaskDefinitionInput,
} from "../../../../packages/core/src/ecs/task-definition";
import { UserError } from "../../../../packages/core/src/runtime/errors";

const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf";

describe("parseSecretReference", () => {
  it.each([
    [SECRET, { kind: "secretsmanager", secretArn: SECRET }],
    [`${SECRET}:password::`, { kind: "secretsmanager", secretArn: SECRET, jsonKey: "password" }],
    [`${SECRET}:password:AWSPREVIOUS:`, { jsonKey: "password", versionStage: "AWSPREVIOUS" }],
    [`${SECRET}::AWSCURRENT:`, { versionStage: "AWSCURRENT" }],
    [`${SECRET}:::0123456789abcdef0123456789abcdef`, { versionId: "0123456789abcdef0123456789abcdef" }],
    [
      "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key",
      { kind: "ssm", parameterName: "shop/api-key" },
    ],
    ["/shop/api-key", { kind: "ssm", parameterName: "/shop/api-key" }],
    ["shop-api-key", { kind: "ssm", parameterName: "shop-api-key" }],
  ])("accepts %s", (valueFrom, expected) => {
    expect(parseSecretReference(valueFrom)).toMatchObject(expected);
  });

  it.each([
    ["arn:aws:secretsmanager:eu-west-1:123456789012:shop/db", /not a Secrets Manager secret ARN/],
    ["arn:aws:secretsmanager:eu-west-1:12345:secret:shop/db", /not a Secrets Manager secret ARN/],
    [`${SECRET}:a:b:c:d`, /at most three/],
    [`${SECRET}::AWSCURRENT:0123456789abcdef0123456789abcdef`, /both a version stage and a version id/],
    [`${SECRET}:::short`, /invalid version id/],
    ["arn:aws:ssm:eu-west-1:123456789012:shop/api-key", /not an SSM parameter ARN/],
    ["arn:aws:s3:::bucket/key", /an ARN of s3/],
    ["aws/reserved", /neither an ARN nor an SSM parameter name/],
    ["has space", /neither an ARN nor an SSM parameter name/],
  ])("refuses %s", (valueFrom, message) => {
    expect(() => parseSecretReference(valueFrom)).toThrow(message);
  });

  it("says how to write it when it refuses", () => {
    try {
      parseSecretReference("nope nope");
    } catch (error) {
      expect(error).toBeInstanceOf(SecretReferenceError);
      expect((error as SecretReferenceError).fix).toMatch(/arn:aws:secretsmanager/);
    }
  });
});

describe("parseEnvironmentFileArn", () => {
  it("accepts an S3 object ARN of a .env file", () => {
    expect(parseEnvironmentFileArn("arn:aws:s3:::shop-config/prod/web.env")).toEqual({
      bucket: "shop-config",
      key: "prod/web.env",
    });
  });
  it.each([
    ["s3://shop-config/web.env"],
    ["arn:aws:s3:::shop-config/web.txt"],
    ["arn:aws:s3:::Bad_Bucket/a.env"],
  ])("refuses %s", (value) => {
    expect(() => parseEnvironmentFileArn(value)).toThrow(SecretReferenceError);
  });
});

describe("fillPlaceholders", () => {
  it(`fills \${env:NAME} in string values, keeps $\${env:NAME} literal, and reports the variables used`, () => {
    const { document, filled } = fillPlaceholders(
      { image: `web:\${env:TAG}`, command: ["echo", `$\${env:TAG}`], cpu: 256 },
      { TAG: "42" },
      "td.json",
    );
    expect(document).toEqual({ image: "web:42", command: ["echo", `\${env:TAG}`], cpu: 256 });
    expect(filled).toEqual([{ name: "TAG", value: "42" }]);
  });

  it("names every placeholder without a value, and where it is", () => {
    expect(() =>
      fillPlaceholders({ a: `\${env:UNSET}`, b: [{ c: `\${env:EMPTY}` }] }, { EMPTY: "" }, "td.json"),
    ).toThrow(
      /2 placeholders have no value: \$\{env:UNSET\} at a: UNSET is not set; \$\{env:EMPTY\} at b\[0\]\.c: EMPTY is empty/,
    );
  });

  it("refuses a placeholder that is not a variable name", () => {
    expect(() => fillPlaceholders({ a: `\${env:1X}` }, {}, "td.json")).toThrow(/1X is not a variable name/);
  });

  it("applies to a task definition file before it is validated, so numbers can come from variables", () => {
    const input = readTaskDefinitionFile("td.yaml", {
      text: `family: web\ncpu: \${env:CPU}\nmemory: '512'\ncontainerDefinitions:\n  - name: app\n    image: web:\${env:TAG}\n`,
      environment: { CPU: "256", TAG: "7" },
    });
    expect(input.cpu).toBe("256");
    expect(input.containerDefinitions?.[0]?.image).toBe("web:7");
  });
});

describe("fargateSizeProblem", () => {
  it.each([
    ["256", "512"],
    ["256", "2048"],
    ["512", "4096"],
    ["1024", "8192"],
    ["0.25 vCPU", "0.5 GB"],
    ["4096", "30720"],
    ["8192", "20480"],
    ["16384", "122880"],
  ])("runs cpu %s with memory %s", (cpu, memory) => {
    expect(fargateSizeProblem(cpu, memory)).toBeUndefined();
  });
  it.each([
    ["256", "4096", /does not go with cpu 256/],
    ["256", "1536", /allows 512, 1024, 2048 MiB with it/],
    ["512", "512", /1024 to 4096 in steps of 1024/],
    ["8192", "18432", /in steps of 4096/],
    ["300", "1024", /not a Fargate size/],
    ["lots", "1024", /neither CPU units/],
  ])("refuses cpu %s with memory %s", (cpu, memory, message) => {
    expect(fargateSizeProblem(cpu, memory)).toMatch(message);
  });
});

function base(): TaskDefinitionInput {
  return {
    family: "web",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    executionRoleArn: "arn:aws:iam::123456789012:role/exec",
    containerDefinitions: [
      {
        name: "app",
        image: "web:1",
        environment: [
          { name: "LOG_LEVEL", value: "info" },
          { name: "DEBUG", value: "1" },
        ],
        logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/web" } },
      },
      { name: "proxy", image: "envoy:1" },
    ],
  };
}

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("no error");
}

describe("renderTaskDefinition: container changes", () => {
  it("removes, adds secrets, replaces environment files, command and entry point, upserts labels and log options", () => {
    const out = renderTaskDefinition(base(), {
      containers: {
        app: {
          removeEnvironment: ["DEBUG"],
          secrets: { DATABASE_URL: SECRET },
          environmentFiles: ["arn:aws:s3:::cfg/web.env"],
          command: ["node", "server.js"],
          entryPoint: ["/sbin/tini", "--"],
          dockerLabels: { team: "shop" },
          logOptions: { "awslogs-stream-prefix": "web" },
          cpu: 128,
          memory: 512,
          memoryReservation: 256,
        },
      },
    });
    const app = out.containerDefinitions?.[0];
    expect(app?.environment).toEqual([{ name: "LOG_LEVEL", value: "info" }]);
    expect(app?.secrets).toEqual([{ name: "DATABASE_URL", valueFrom: SECRET }]);
    expect(app?.environmentFiles).toEqual([{ value: "arn:aws:s3:::cfg/web.env", type: "s3" }]);
    expect(app?.command).toEqual(["node", "server.js"]);
    expect(app?.entryPoint).toEqual(["/sbin/tini", "--"]);
    expect(app?.dockerLabels).toEqual({ team: "shop" });
    expect(app?.logConfiguration).toEqual({
      logDriver: "awslogs",
      options: { "awslogs-group": "/ecs/web", "awslogs-stream-prefix": "web" },
    });
    expect([app?.cpu, app?.memory, app?.memoryReservation]).toEqual([128, 512, 256]);
    // The other container and the input are untouched.
    expect(out.containerDefinitions?.[1]).toEqual({ name: "proxy", image: "envoy:1" });
    expect(base().containerDefinitions?.[0]?.environment).toHaveLength(2);
  });

  it("a new log driver replaces the whole log configuration", () => {
    const out = renderTaskDefinition(base(), {
      containers: { app: { logDriver: "splunk", logOptions: { "splunk-url": "https://splunk:8088" } } },
    });
    expect(out.containerDefinitions?.[0]?.logConfiguration).toEqual({
      logDriver: "splunk",
      options: { "splunk-url": "https://splunk:8088" },
    });
  });

  it("a secret replaces a plain variable of the same name", () => {
    const out = renderTaskDefinition(base(), { containers: { app: { secrets: { LOG_LEVEL: SECRET } } } });
    expect(out.containerDefinitions?.[0]?.environment?.map((e) => e.name)).toEqual(["DEBUG"]);
  });

  it.each([
    [
      { containers: { app: { removeEnvironment: ["NOPE"] } } },
      "remove-environment-variables",
      /does not set it/,
    ],
    [{ containers: { proxy: { logOptions: { a: "b" } } } }, "log-options", /has no log configuration/],
    [{ containers: { nope: { command: ["x"] } } }, "command", /names container "nope"/],
    [
      { containers: { app: { memory: 256, memoryReservation: 300 } } },
      "container-resources",
      /reserves 300 MiB/,
    ],
    [{ containers: { app: { memory: 1024 } } }, "container-resources", /above the task's 512 MiB/],
    [{ task: { cpu: "256", memory: "4096" } }, "cpu", /does not go with cpu 256/],
  ])("refuses %j naming %s", (changes, input, message) => {
    const error = userError(() => renderTaskDefinition(base(), changes));
    expect(error.input).toBe(input);
    expect(error.message).toMatch(message);
  });

  it("needs an execution role for secrets", () => {
    const definition = base();
    delete definition.executionRoleArn;
    const error = userError(() =>
      renderTaskDefinition(definition, { containers: { app: { secrets: { X: SECRET } } } }),
    );
    expect(error.message).toMatch(/no executionRoleArn/);
    expect(error.input).toBe("execution-role-arn");
  });
});

describe("renderTaskDefinition: task changes", () => {
  it("sets roles, cpu and memory, ephemeral storage and the runtime platform", () => {
    const out = renderTaskDefinition(base(), {
      task: {
        taskRoleArn: "arn:aws:iam::123456789012:role/task",
        executionRoleArn: "arn:aws:iam::123456789012:role/exec2",
        cpu: "1024",
        memory: "2048",
        ephemeralStorageGiB: 50,
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
      },
    });
    expect(out).toMatchObject({
      taskRoleArn: "arn:aws:iam::123456789012:role/task",
      executionRoleArn: "arn:aws:iam::123456789012:role/exec2",
      cpu: "1024",
      memory: "2048",
      ephemeralStorage: { sizeInGiB: 50 },
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
    });
  });
});

describe("readTaskDefinitionFile: secrets in the file", () => {
  it("refuses a malformed secret source, naming the container and the secret", () => {
    const text = JSON.stringify({
      ...base(),
      containerDefinitions: [
        { name: "app", image: "web:1", secrets: [{ name: "DB", valueFrom: "arn:aws:secretsmanager:x" }] },
      ],
    });
    expect(() => readTaskDefinitionFile("td.json", text)).toThrow(
      /container "app", secret DB: .*not a Secrets Manager secret ARN/,
    );
  });
});

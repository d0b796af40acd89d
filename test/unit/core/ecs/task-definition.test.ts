// Task definitions: reading files, rendering images and environment variables, and the canonical
// comparison that decides whether anything needs registering.
import type { ContainerDefinition, TaskDefinition } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import {
  canonicalTaskDefinition,
  familyOf,
  readTaskDefinitionFile,
  renderTaskDefinition,
  revisionLabel,
  sameTaskDefinition,
  stripReadOnly,
  type TaskDefinitionInput,
} from "../../../../packages/core/src/ecs/task-definition";
import { UserError } from "../../../../packages/core/src/runtime/errors";

const BASE: TaskDefinitionInput = {
  family: "web",
  networkMode: "awsvpc",
  requiresCompatibilities: ["FARGATE"],
  cpu: "256",
  memory: "512",
  executionRoleArn: "arn:aws:iam::123456789012:role/exec",
  containerDefinitions: [
    {
      name: "app",
      image: "registry/web:1",
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: "LOG_LEVEL", value: "info" },
        { name: "REGION", value: "eu-west-1" },
      ],
      healthCheck: { command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"] },
    },
    { name: "proxy", image: "registry/envoy:1.30", essential: false, cpu: 64 },
  ],
};

/** What DescribeTaskDefinition returns for BASE: read-only fields and AWS's defaults filled in. */
function described(input: TaskDefinitionInput): TaskDefinition {
  return {
    enableFaultInjection: false,
    ...input,
    taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
    revision: 7,
    status: "ACTIVE",
    requiresAttributes: [{ name: "ecs.capability.task-eni" }],
    compatibilities: ["EC2", "FARGATE"],
    registeredAt: new Date("2026-03-01T10:00:00Z"),
    registeredBy: "arn:aws:sts::123456789012:assumed-role/deploy/gha",
    volumes: [],
    placementConstraints: [],
    containerDefinitions: (input.containerDefinitions ?? []).map((c) => ({
      cpu: 0,
      essential: true,
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      environment: [],
      ...c,
      portMappings: (c.portMappings ?? []).map((p) => ({ ...p, hostPort: p.containerPort, protocol: "tcp" })),
      ...(c.healthCheck ? { healthCheck: { interval: 30, timeout: 5, retries: 3, ...c.healthCheck } } : {}),
    })),
  } as TaskDefinition;
}

describe("readTaskDefinitionFile", () => {
  it("reads JSON and drops read-only fields", () => {
    const text = JSON.stringify(described(BASE));
    const input = readTaskDefinitionFile("web.json", text);
    expect(input).not.toHaveProperty("taskDefinitionArn");
    expect(input).not.toHaveProperty("revision");
    expect(input).not.toHaveProperty("registeredAt");
    expect(input.family).toBe("web");
  });

  it("reads the output of aws ecs describe-task-definition, tags included", () => {
    const text = JSON.stringify({ taskDefinition: described(BASE), tags: [{ key: "team", value: "shop" }] });
    expect(readTaskDefinitionFile("out.json", text).tags).toEqual([{ key: "team", value: "shop" }]);
  });

  it("reads YAML and turns numeric cpu and memory into the strings the API takes", () => {
    const text =
      "family: web\ncpu: 512\nmemory: 1024\ncontainerDefinitions:\n  - name: app\n    image: web:1\n";
    expect(readTaskDefinitionFile("web.yaml", text)).toMatchObject({ cpu: "512", memory: "1024" });
  });

  it("turns YAML numbers and booleans into strings where the API takes strings", () => {
    const text = [
      "family: web",
      "containerDefinitions:",
      "  - name: app",
      "    image: web:1",
      "    memory: 512",
      "    environment: [{name: PORT, value: 8080}, {name: DEBUG, value: false}]",
      "    dockerLabels: {tier: 2}",
      "    logConfiguration:",
      "      logDriver: awslogs",
      "      options: {awslogs-group: /ecs/web, awslogs-create-group: true}",
    ].join("\n");
    const container = readTaskDefinitionFile("web.yaml", text).containerDefinitions?.[0];
    expect(container?.environment).toEqual([
      { name: "PORT", value: "8080" },
      { name: "DEBUG", value: "false" },
    ]);
    expect(container?.dockerLabels).toEqual({ tier: "2" });
    expect(container?.logConfiguration?.options).toEqual({
      "awslogs-group": "/ecs/web",
      "awslogs-create-group": "true",
    });
    // Container memory is a number in the API and stays one.
    expect(container?.memory).toBe(512);
  });

  it.each([
    ['{"family": "web",', /not valid JSON or YAML at line 1/],
    ["- a\n- b\n", /does not hold an object/],
    [
      '{"family": "web", "containerDefinitions": [{"name": "app", "image": "x"}], "cpuu": "256"}',
      /unknown field "cpuu"/,
    ],
    ['{"containerDefinitions": [{"name": "app", "image": "x"}]}', /"family" is missing or invalid/],
    ['{"family": "web", "containerDefinitions": []}', /"containerDefinitions" must be a non-empty list/],
    [
      '{"family": "web", "containerDefinitions": [{"image": "x"}]}',
      /containerDefinitions\[0\] has no valid "name"/,
    ],
    [
      '{"family": "web", "containerDefinitions": [{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]}',
      /container "a" is defined twice/,
    ],
    [
      '{"family": "web", "containerDefinitions": [{"name": "a", "environment": {"A": "1"}}]}',
      /"environment" that is not a list/,
    ],
    ["family: web\nfamily: api\n", /not valid JSON or YAML/],
  ])("refuses %s", (text, message) => {
    const attempt = () => readTaskDefinitionFile("td.json", text);
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(message);
  });
});

describe("renderTaskDefinition", () => {
  it("sets images per container and upserts environment variables, leaving the base untouched", () => {
    const rendered = renderTaskDefinition(BASE, {
      images: { app: "registry/web@sha256:abc", proxy: "registry/envoy:1.31" },
      environment: { app: { LOG_LEVEL: "debug", FEATURE: "on" } },
    });
    expect(rendered.containerDefinitions?.map((c) => c.image)).toEqual([
      "registry/web@sha256:abc",
      "registry/envoy:1.31",
    ]);
    expect(rendered.containerDefinitions?.[0]?.environment).toEqual([
      { name: "LOG_LEVEL", value: "debug" },
      { name: "REGION", value: "eu-west-1" },
      { name: "FEATURE", value: "on" },
    ]);
    expect(BASE.containerDefinitions?.[0]?.image).toBe("registry/web:1");
  });

  it("names the containers there are when given an unknown one", () => {
    expect(() => renderTaskDefinition(BASE, { images: { web: "x" } })).toThrow(
      /`containers` names container "web" \(image\), but the task definition has "app", "proxy"/,
    );
    expect(() => renderTaskDefinition(BASE, { environment: { worker: { A: "1" } } })).toThrow(
      /`environment-variables`/,
    );
  });

  it("refuses a container left without an image", () => {
    const noImage = { ...BASE, containerDefinitions: [{ name: "app" }] };
    expect(() => renderTaskDefinition(noImage, {})).toThrow(/Container "app" has no image/);
  });
});

describe("sameTaskDefinition", () => {
  it("holds between a definition and what AWS returns for it", () => {
    expect(sameTaskDefinition(BASE, described(BASE))).toBe(true);
  });

  it("ignores the order of environment variables and containers", () => {
    const reordered = {
      ...BASE,
      containerDefinitions: [...(BASE.containerDefinitions ?? [])].reverse().map((c) => ({
        ...c,
        ...(c.environment ? { environment: [...c.environment].reverse() } : {}),
      })),
    };
    expect(sameTaskDefinition(BASE, reordered)).toBe(true);
  });

  it("treats numeric and string cpu alike", () => {
    expect(sameTaskDefinition(BASE, { ...BASE, cpu: 256 as unknown as string })).toBe(true);
  });

  it("holds for a file read back from what AWS returns, whatever the order of its keys", () => {
    // Keys in reverse order at every level, as another tool (or a hand) may write them.
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : value && typeof value === "object" && !(value instanceof Date)
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reverseKeys(v)]),
            )
          : value;
    const file = readTaskDefinitionFile("web.json", JSON.stringify(reverseKeys(BASE)));
    expect(JSON.stringify(file)).not.toBe(JSON.stringify(BASE));
    expect(sameTaskDefinition(file, described(BASE))).toBe(true);
    expect(
      sameTaskDefinition(BASE, readTaskDefinitionFile("out.json", JSON.stringify(described(BASE)))),
    ).toBe(true);
  });

  it("treats an absent network mode as bridge, the mode AWS gives it", () => {
    const bridge = { ...BASE, networkMode: undefined };
    expect(sameTaskDefinition(bridge, { ...BASE, networkMode: "bridge" })).toBe(true);
    expect(sameTaskDefinition(bridge, BASE)).toBe(false);
  });

  it.each([
    ["an image", { images: { app: "registry/web:2" } }],
    ["an environment value", { environment: { app: { LOG_LEVEL: "debug" } } }],
    ["an environment value set to the empty string", { environment: { app: { LOG_LEVEL: "" } } }],
    ["a new environment variable", { environment: { proxy: { A: "1" } } }],
  ])("tells %s apart, also from what AWS returns", (_what, changes) => {
    const rendered = renderTaskDefinition(BASE, changes);
    expect(sameTaskDefinition(BASE, rendered)).toBe(false);
    expect(sameTaskDefinition(rendered, described(BASE))).toBe(false);
    expect(sameTaskDefinition(rendered, described(rendered))).toBe(true);
  });

  it.each([
    [
      "a health-check interval other than the default",
      (c: ContainerDefinition) => ({ ...c, healthCheck: { command: ["CMD", "true"], interval: 10 } }),
    ],
    ["a container cpu share", (c: ContainerDefinition) => ({ ...c, cpu: 128 })],
    [
      "a port protocol",
      (c: ContainerDefinition) => ({
        ...c,
        portMappings: [{ containerPort: 8080, protocol: "udp" as const }],
      }),
    ],
  ])("tells %s apart", (_what, change) => {
    const changed = {
      ...BASE,
      containerDefinitions: (BASE.containerDefinitions ?? []).map((c) => (c.name === "app" ? change(c) : c)),
    };
    expect(sameTaskDefinition(changed, described(BASE))).toBe(false);
  });

  it("tells fault injection turned on apart from AWS's default off", () => {
    expect(sameTaskDefinition({ ...BASE, enableFaultInjection: true }, described(BASE))).toBe(false);
  });

  it("tells roles, memory and tags apart", () => {
    expect(sameTaskDefinition(BASE, { ...BASE, memory: "1024" })).toBe(false);
    expect(sameTaskDefinition(BASE, { ...BASE, taskRoleArn: "arn:aws:iam::123456789012:role/web" })).toBe(
      false,
    );
    expect(sameTaskDefinition(BASE, described(BASE), { b: [{ key: "team", value: "shop" }] })).toBe(false);
  });

  it("keeps an explicit essential: false and a non-default cpu", () => {
    const canonical = canonicalTaskDefinition(BASE);
    const proxy = (canonical.containerDefinitions as Record<string, unknown>[]).find(
      (c) => c.name === "proxy",
    );
    expect(proxy?.essential).toBe(false);
    expect(proxy?.cpu).toBe(64);
    expect(sameTaskDefinition(BASE, renderTaskDefinition(BASE, {}))).toBe(true);
  });
});

describe("names", () => {
  it("labels and families from ARNs and family:revision", () => {
    expect(revisionLabel("arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7")).toBe("web:7");
    expect(familyOf("arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7")).toBe("web");
    expect(familyOf("web:7")).toBe("web");
  });

  it("strips read-only fields and carries tags given apart", () => {
    const stripped = stripReadOnly(described(BASE), [{ key: "a", value: "b" }]);
    expect(Object.keys(stripped)).not.toContain("status");
    expect(stripped.tags).toEqual([{ key: "a", value: "b" }]);
  });
});

// The scenario most ECS simulator tests start from: service "web" running web:1 (three tasks behind
// an ALB target group) in cluster "default", with an awslogs group.
import type { Scenario } from "../../sim/index";

export const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
export const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";
export const NETWORK = {
  awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-1"] },
};

export function webTaskDefinition(image: string, extra: Record<string, unknown> = {}) {
  return {
    family: "web",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    containerDefinitions: [
      {
        name: "app",
        image,
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: "tcp" }],
        environment: [{ name: "APP_VERSION", value: image.split(":").at(-1) ?? "" }],
        logConfiguration: {
          logDriver: "awslogs",
          options: {
            "awslogs-group": "/ecs/web",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "web",
          },
        },
      },
    ],
    ...extra,
  };
}

/** web:1 runs steady (3 tasks behind a target group); images of the next versions behave as told. */
export function webScenario(
  options: { images?: Record<string, unknown>; breaker?: boolean; rollback?: boolean } = {},
): Scenario {
  return {
    clock: { mode: "manual", start: "2026-03-02T09:00:00Z" },
    seed: 7,
    logs: { groups: [{ name: "/ecs/web" }] },
    elbv2: {
      targetGroups: [
        {
          name: "web",
          arn: TG,
          port: 8080,
          healthCheckPath: "/health",
          healthCheckIntervalSeconds: 10,
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
          deregistrationDelaySeconds: 20,
        },
      ],
      loadBalancers: [{ name: "web-alb", targetGroups: ["web"] }],
    },
    ecs: {
      images: { [`${REGISTRY}/web:1`]: { digest: `sha256:${"1".repeat(64)}` }, ...(options.images ?? {}) },
      taskDefinitions: [webTaskDefinition(`${REGISTRY}/web:1`)],
      services: [
        {
          cluster: "default",
          serviceName: "web",
          taskDefinition: "web:1",
          desiredCount: 3,
          launchType: "FARGATE",
          networkConfiguration: NETWORK,
          loadBalancers: [{ targetGroupArn: TG, containerName: "app", containerPort: 8080 }],
          healthCheckGracePeriodSeconds: 30,
          deploymentConfiguration: {
            minimumHealthyPercent: 100,
            maximumPercent: 200,
            deploymentCircuitBreaker: { enable: options.breaker ?? true, rollback: options.rollback ?? true },
          },
        },
      ],
    },
  };
}

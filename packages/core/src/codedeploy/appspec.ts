// The AppSpec of an ECS blue/green deployment, generated from the revision registered for it: the
// task definition, the container and port the load balancer sends traffic to, and optional Lambda
// hooks. JSON, which CodeDeploy accepts as it accepts YAML.

/** The lifecycle events of an ECS deployment that run a hook (a Lambda function). */
export const HOOK_EVENTS = [
  "BeforeInstall",
  "AfterInstall",
  "AfterAllowTestTraffic",
  "BeforeAllowTraffic",
  "AfterAllowTraffic",
] as const;

export type HookEvent = (typeof HOOK_EVENTS)[number];

export interface AppSpecInput {
  taskDefinitionArn: string;
  containerName: string;
  containerPort: number;
  platformVersion?: string | undefined;
  /** Lambda function (name or ARN) per lifecycle event. */
  hooks: Partial<Record<HookEvent, string>>;
}

export function isHookEvent(name: string): name is HookEvent {
  return (HOOK_EVENTS as readonly string[]).includes(name);
}

/** The AppSpec content, with hooks in lifecycle order. */
export function appSpecContent(input: AppSpecInput): string {
  const properties: Record<string, unknown> = {
    TaskDefinition: input.taskDefinitionArn,
    LoadBalancerInfo: { ContainerName: input.containerName, ContainerPort: input.containerPort },
  };
  if (input.platformVersion) properties.PlatformVersion = input.platformVersion;
  const hooks = HOOK_EVENTS.flatMap((event) => {
    const fn = input.hooks[event];
    return fn ? [{ [event]: fn }] : [];
  });
  return JSON.stringify({
    version: "0.0",
    Resources: [{ TargetService: { Type: "AWS::ECS::Service", Properties: properties } }],
    ...(hooks.length > 0 ? { Hooks: hooks } : {}),
  });
}

/** The task definition an AppSpec content names, or undefined when it cannot be read. */
export function appSpecTaskDefinition(content: string | undefined): string | undefined {
  if (!content) return undefined;
  try {
    const spec = JSON.parse(content) as {
      Resources?: Record<string, { Properties?: { TaskDefinition?: unknown } }>[];
    };
    for (const resource of spec.Resources ?? []) {
      for (const value of Object.values(resource)) {
        const td = value.Properties?.TaskDefinition;
        if (typeof td === "string") return td;
      }
    }
  } catch {
    // YAML written by another tool: not shipline's deployment.
  }
  return undefined;
}

// The inputs of run-task; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/inputs";
import { CLUSTER, SERVICE } from "@shipline/core/ecs/services-input";
import {
  type InputSpec,
  type InputValues,
  InvalidValue,
  input,
  inputError,
} from "@shipline/core/runtime/inputs";

/** A container's name in a task definition. */
export const CONTAINER = /^[a-zA-Z0-9_-]{1,255}$/;
const TASK_DEFINITION =
  /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[a-zA-Z0-9_-]{1,255}(:\d+)?$/;

export const inputSpec = {
  cluster: input.string({
    required: true,
    pattern: CLUSTER,
    hint: "Give the cluster's name (letters, digits, - and _) or its ARN.",
  }),
  service: input.string({ pattern: SERVICE, hint: "Give the service's name or ARN." }),
  "task-definition": input.string({
    pattern: TASK_DEFINITION,
    hint: "Give a family, family:revision or ARN, such as ecs-deploy's task-definition-arn output.",
  }),
  container: input.string({
    pattern: CONTAINER,
    hint: "Give the container's name from the task definition.",
  }),
  // A command line, run without a shell: quotes group words, nothing is expanded.
  command: input.text({ maxLength: 8_192 }),
  environment: input.keyValues({
    keyPattern: /^([a-zA-Z0-9_-]{1,255}\.)?[A-Za-z_][A-Za-z0-9_]{0,254}$/,
    keyHint:
      "Write one `NAME=value` per line for the task's container, or `container.NAME=value` for another one (names are letters, digits and `_`).",
    maxLength: 65_536,
  }),
  cpu: input.keyValues({
    keyPattern: CONTAINER,
    keyHint: "Write one `container=units` per line, e.g. `app=512` (1024 units are one vCPU).",
    valueCheck: sizeCheck("cpu units", 1, 196_608),
  }),
  memory: input.keyValues({
    keyPattern: CONTAINER,
    keyHint: "Write one `container=MiB` per line, e.g. `app=2048`.",
    valueCheck: sizeCheck("MiB", 6, 983_040),
  }),
  subnets: input.list({
    itemPattern: /^subnet-[0-9a-f]{1,32}$/,
    itemHint: "Give subnet IDs such as subnet-0abc1234, comma or newline separated.",
  }),
  "security-groups": input.list({
    itemPattern: /^sg-[0-9a-f]{1,32}$/,
    itemHint: "Give security group IDs such as sg-0abc1234, comma or newline separated.",
  }),
  "assign-public-ip": input.choice(["ENABLED", "DISABLED"]),
  "launch-type": input.choice(["FARGATE", "EC2", "EXTERNAL", "MANAGED_INSTANCES"]),
  "capacity-provider-strategy": input.keyValues({
    keyPattern: /^[a-zA-Z0-9_-]{1,255}$/,
    keyHint: "Write one `provider=weight` or `provider=weight:base` per line, e.g. `FARGATE_SPOT=1`.",
    valueCheck: (value) => {
      if (!/^\d{1,4}(:\d{1,6})?$/.test(value)) {
        throw new InvalidValue(
          `${JSON.stringify(value)} is not a weight (0-1000) with an optional base (0-100000).`,
          "Write `FARGATE=1` or `FARGATE=1:2`.",
        );
      }
    },
  }),
  "platform-version": input.string({
    pattern: /^(LATEST|\d+\.\d+\.\d+)$/,
    hint: "Give LATEST or a Fargate platform version such as 1.4.0.",
  }),
  tags: input.keyValues({
    keyPattern: /^(?!aws:)[A-Za-z0-9_.:/=+@-]{1,128}$/i,
    keyHint: "Write one `key=value` tag per line; keys may not start with aws:.",
    maxLength: 16_384,
  }),
  count: input.integer({ default: "1", min: 1, max: 10 }),
  "idempotency-key": input.string({
    pattern: /^[A-Za-z0-9_.:/=+@-]{1,128}$/,
    hint: "Give a short key such as the matrix value (letters, digits and `_.:/=+@-`).",
  }),
  timeout: input.duration({ default: "30m", min: "10s", max: "12h" }),
  "poll-interval": input.duration({ default: "5s", min: "100ms", max: "5m" }),
  "log-tail-lines": input.integer({ default: "50", min: 1, max: 1000 }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

function sizeCheck(unit: string, min: number, max: number): (value: string) => void {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidValue(
        `${JSON.stringify(value)} is not a whole number of ${unit} from ${min} to ${max}.`,
        `Give a whole number of ${unit}.`,
      );
    }
  };
}

/** The rules between inputs, checked before the rest of the bundle (the AWS SDK) is loaded. */
export function checkInputs(inputs: Inputs): void {
  if (!inputs.service && !inputs.taskDefinition) {
    throw inputError(
      "task-definition",
      "it is required when no `service` is given.",
      "Give the task definition to run (ecs-deploy's task-definition-arn output fits), or a `service` whose current one runs.",
    );
  }
  if (inputs.launchType && inputs.capacityProviderStrategy) {
    throw inputError(
      "capacity-provider-strategy",
      "it cannot be given with `launch-type`: RunTask takes one of the two.",
      "Remove one of them.",
    );
  }
  if (!inputs.service && !inputs.subnets && (inputs.securityGroups || inputs.assignPublicIp)) {
    throw inputError(
      inputs.securityGroups ? "security-groups" : "assign-public-ip",
      "it applies to a network configuration, and there is none: no `subnets` and no `service` to copy them from.",
      "Give `subnets` too, or a `service` whose network the task copies.",
    );
  }
}

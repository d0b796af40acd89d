// Shapes of the ECS identifiers inputs and records carry. Kept free of any SDK import, so an action
// can check its inputs before the AWS SDK is loaded.

/** `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`. */
export const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[a-zA-Z0-9_-]{1,255}:\d+$/;
/** `<family>:<revision>`, a registered revision named without its ARN. */
export const FAMILY_REVISION = /^[a-zA-Z0-9_-]{1,255}:\d+$/;
/**
 * `arn:aws:iam::<account>:role/<path/><name>`: the IAM roles ECS is given (a task's task and execution
 * roles, the infrastructure role of an EBS volume, a lifecycle hook's role).
 */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** "web:12" from an ARN or a family:revision. */
export function revisionLabel(taskDefinition: string): string {
  return taskDefinition.split("task-definition/").pop() ?? taskDefinition;
}

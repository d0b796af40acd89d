// The outputs of ecs-deploy; a contract test keeps this list equal to action.yml.
import { defineOutputs } from "@shipline/core/runtime/outputs";

export const outputSpec = defineOutputs([
  "task-definition-arn",
  "previous-task-definition-arn",
  "service-deployment-arn",
  "images",
  "status",
  "duration-seconds",
  "report",
  "codedeploy-deployment-id",
  "deploy-record",
  "deployment-id",
]);

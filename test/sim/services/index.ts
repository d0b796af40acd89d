// The built-in simulated services. A new service adds its factory here.
import type { SimServiceFactory } from "../framework/types";
import { cloudwatchService } from "./cloudwatch/service";
import { codedeployService } from "./codedeploy/service";
import { ecrService } from "./ecr/service";
import { ecsService } from "./ecs/service";
import { elbv2Service } from "./elbv2/service";
import { iamService } from "./iam/service";
import { logsService } from "./logs/service";
import { rdsService } from "./rds/service";
import { s3Service } from "./s3/service";
import { secretsManagerService } from "./secretsmanager/service";
import { ssmService } from "./ssm/service";

/**
 * In load order: ECS validates target groups against ELBv2 when it adopts a scenario's services, and
 * reads their secrets and environment files (IAM, Secrets Manager, SSM, S3) as their tasks start.
 */
export const builtInServices: readonly SimServiceFactory[] = [
  logsService,
  iamService,
  secretsManagerService,
  ssmService,
  s3Service,
  ecrService,
  elbv2Service,
  ecsService,
  cloudwatchService,
  rdsService,
  // After ECS and ELBv2, whose services and target groups its deployment groups name.
  codedeployService,
];

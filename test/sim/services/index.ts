// The built-in simulated services. A new service adds its factory here.
import type { SimServiceFactory } from "../framework/types";
import { cloudwatchService } from "./cloudwatch/service";
import { codedeployService } from "./codedeploy/service";
import { ecrService } from "./ecr/service";
import { ecsService } from "./ecs/service";
import { elbv2Service } from "./elbv2/service";
import { logsService } from "./logs/service";
import { rdsService } from "./rds/service";

/** In load order: ECS validates target groups against ELBv2 when it adopts a scenario's services. */
export const builtInServices: readonly SimServiceFactory[] = [
  logsService,
  ecrService,
  elbv2Service,
  ecsService,
  cloudwatchService,
  rdsService,
  // After ECS and ELBv2, whose services and target groups its deployment groups name.
  codedeployService,
];

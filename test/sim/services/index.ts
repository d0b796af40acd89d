// The built-in simulated services. A new service module adds its factory here.
import type { SimServiceFactory } from "../types";
import { cloudwatchService } from "./cloudwatch";
import { ecrService } from "./ecr";
import { ecsService } from "./ecs";
import { elbv2Service } from "./elbv2";
import { logsService } from "./logs";
import { rdsService } from "./rds";

export const builtInServices: SimServiceFactory[] = [logsService, ecrService];
// Load order matters: ECS validates target groups against ELBv2 when it adopts scenario services.
builtInServices.push(elbv2Service, ecsService, cloudwatchService);
builtInServices.push(rdsService);

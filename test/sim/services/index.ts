// The built-in simulated services. A new service module adds its factory here.
import type { SimServiceFactory } from "../types";
import { ecrService } from "./ecr";
import { logsService } from "./logs";
import { rdsService } from "./rds";

export const builtInServices: SimServiceFactory[] = [logsService, ecrService];
builtInServices.push(rdsService);

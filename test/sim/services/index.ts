// The built-in simulated services. A new service module adds its factory here.
import type { SimServiceFactory } from "../types";
import { ecrService } from "./ecr";
import { logsService } from "./logs";

export const builtInServices: SimServiceFactory[] = [logsService, ecrService];

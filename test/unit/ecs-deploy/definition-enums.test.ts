import { CPUArchitecture, LogDriver, OSFamily } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import {
  CPU_ARCHITECTURES,
  LOG_DRIVERS,
  OS_FAMILIES,
} from "../../../actions/ecs-deploy/src/definition-inputs";

// The input checks carry ECS's enums as plain lists (the entry file must not load the SDK): they stay
// equal to the SDK's, so an SDK update that adds a value fails here rather than refusing it.
describe("ecs-deploy's copies of ECS's enums", () => {
  it.each([
    ["log drivers", LOG_DRIVERS, Object.values(LogDriver)],
    ["OS families", OS_FAMILIES, Object.values(OSFamily)],
    ["CPU architectures", CPU_ARCHITECTURES, Object.values(CPUArchitecture)],
  ])("%s equal the SDK's", (_, ours, sdk) => {
    expect([...ours].sort()).toEqual([...sdk].sort());
  });
});

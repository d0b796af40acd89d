// Values that differ per service travel between actions as ecs-deploy writes them: the value itself
// for one service, a JSON object keyed by service for several.
import { describe, expect, it } from "vitest";
import {
  perServiceInput,
  perServiceOutput,
  shortName,
} from "../../../../packages/core/src/ecs/services-input";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;

describe("per-service values", () => {
  it("takes an ARN for every service or ecs-deploy's JSON object keyed by service", () => {
    const check = (v: string) => v.startsWith("arn:");
    // What ecs-deploy writes is what auto-rollback reads.
    const written = perServiceOutput(["web", "worker"], { web: TD(1) });
    expect(perServiceInput("x", written, ["web", "worker"], check)).toEqual({ web: TD(1) });
    expect(perServiceOutput(["web"], { web: TD(1) })).toBe(TD(1));
    expect(perServiceInput("x", TD(1), ["web", "worker"], check)).toEqual({ web: TD(1), worker: TD(1) });
    expect(
      perServiceInput("x", JSON.stringify({ web: TD(1), worker: "" }), ["web", "worker"], check),
    ).toEqual({
      web: TD(1),
    });
    expect(() => perServiceInput("x", '{"web": 3}', ["web"], check)).toThrow(
      /the entry for web is not valid/,
    );
    expect(() => perServiceInput("x", "{nope", ["web"], check)).toThrow(/not valid JSON/);
  });

  it("finds a service given by ARN under its name", () => {
    const arn = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web";
    expect(shortName(arn)).toBe("web");
    expect(shortName("web")).toBe("web");
    expect(perServiceInput("x", JSON.stringify({ web: TD(1) }), [arn], () => true)).toEqual({ [arn]: TD(1) });
  });
});

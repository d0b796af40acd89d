// CloudWatch Logs' filter patterns for unstructured events, as the simulator's FilterLogEvents
// matches them: every plain term, at least one ?term, no -term; case sensitive.
import { describe, expect, it } from "vitest";
import { SimError } from "../../sim/framework/errors";
import { matchesPattern } from "../../sim/services/logs/service";

describe("matchesPattern", () => {
  it.each([
    ["ERROR", "ERROR payment failed", true],
    ["ERROR", "error payment failed", false],
    ["ERROR payment", "ERROR payment failed", true],
    ["ERROR payment", "ERROR order failed", false],
    ['"payment failed"', "ERROR payment failed", true],
    ['"payment failed"', "ERROR failed payment", false],
    ["?ERROR ?Exception", "java.lang.Exception at Order", true],
    ["?ERROR ?Exception", "INFO all good", false],
    ["?ERROR ?Exception -healthcheck", "ERROR healthcheck timed out", false],
    ["?ERROR ?Exception -healthcheck", "ERROR order 7 failed", true],
    ["", "anything", true],
  ])("%j on %j is %s", (pattern, message, expected) => {
    expect(matchesPattern(message, pattern)).toBe(expected);
  });

  it("refuses JSON patterns, which it does not model", () => {
    expect(() => matchesPattern("{}", '{ $.level = "error" }')).toThrow(SimError);
  });
});

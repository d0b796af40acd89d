// Console links: the CloudWatch log stream page (its doubly encoded fragment) and the ECS task page.
import { describe, expect, it } from "vitest";
import { logStreamConsoleUrl, taskConsoleUrl } from "../../../../packages/core/src/aws/console";

describe("console links", () => {
  it("encodes the log group and stream twice, with $ for %, as the CloudWatch console reads them", () => {
    expect(logStreamConsoleUrl("eu-west-1", { group: "/ecs/shop", stream: "shop/app/0a1b" })).toBe(
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fshop/log-events/shop$252Fapp$252F0a1b",
    );
  });

  it.each([
    ["cn-north-1", "https://cn-north-1.console.amazonaws.cn/"],
    ["us-gov-west-1", "https://us-gov-west-1.console.amazonaws-us-gov.com/"],
  ])("uses the console of the region's partition (%s)", (region, host) => {
    expect(logStreamConsoleUrl(region, { group: "g", stream: "s" }).startsWith(host)).toBe(true);
  });

  it("links a task by its cluster's name and its id", () => {
    expect(
      taskConsoleUrl(
        "eu-west-1",
        "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        "arn:aws:ecs:eu-west-1:123456789012:task/prod/0a1b",
      ),
    ).toBe(
      "https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0a1b/configuration?region=eu-west-1",
    );
  });
});

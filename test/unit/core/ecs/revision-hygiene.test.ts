// Revision hygiene's rule: the newest N ACTIVE revisions are kept, and every protected one.
import { describe, expect, it } from "vitest";
import { revisionsToDeregister } from "../../../../packages/core/src/ecs/revision-hygiene";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;

describe("revisionsToDeregister", () => {
  const active = [1, 2, 3, 4, 5, 6, 7].map(TD);
  it("keeps the newest N and every protected one", () => {
    expect(
      revisionsToDeregister(active, { family: "web", keep: 2, protect: new Set([TD(1), TD(4)]) }),
    ).toEqual({
      kept: [TD(7), TD(6), TD(4), TD(1)],
      deregistered: [TD(5), TD(3), TD(2)],
    });
  });
  it("deregisters nothing when there are no more than N", () => {
    expect(
      revisionsToDeregister(active.slice(0, 3), { family: "web", keep: 5, protect: new Set() }).deregistered,
    ).toEqual([]);
  });
  it("never deregisters the deployed revision even with keep 1 when it is not the newest", () => {
    expect(revisionsToDeregister(active, { family: "web", keep: 1, protect: new Set([TD(5)]) }).kept).toEqual(
      [TD(7), TD(5)],
    );
  });
});

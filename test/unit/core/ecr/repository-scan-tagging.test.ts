// ECR rules the action applies before changing anything: repository references, tag mutability,
// the tag plan of a promote, and the scan verdict.

import { ECRClient } from "@aws-sdk/client-ecr";
import { describe, expect, it } from "vitest";
import {
  awsRegistryHost,
  isTagMutable,
  parseRepositoryRef,
} from "../../../../packages/core/src/ecr/repository";
import { judgeScan, type SeverityCounts, zeroCounts } from "../../../../packages/core/src/ecr/scan";
import {
  immutableMovingTags,
  movingTagsRefusal,
  planTagChanges,
} from "../../../../packages/core/src/ecr/tagging";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const MUTABLE = { mutability: "MUTABLE" as const, exclusionFilters: [] };
const IMMUTABLE = { mutability: "IMMUTABLE" as const, exclusionFilters: [] };

describe("parseRepositoryRef", () => {
  it("reads a name, or account and region from a URI", () => {
    expect(parseRepositoryRef("shop/web")).toEqual({ name: "shop/web" });
    expect(parseRepositoryRef("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web")).toEqual({
      name: "shop/web",
      registryId: "123456789012",
      region: "eu-west-1",
    });
  });

  it.each(["Shop/Web", "shop//web", "a", "ghcr.io/acme/web", "localhost:5000/web", "shop/web:latest"])(
    "refuses %j",
    (value) => {
      expect(() => parseRepositoryRef(value)).toThrow();
    },
  );
});

describe("awsRegistryHost", () => {
  it.each([
    ["eu-west-1", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
    ["cn-north-1", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"],
    ["us-gov-west-1", "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"],
  ])("names the registry of an account in %s as ECR documents it", async (region, host) => {
    expect(await awsRegistryHost(new ECRClient({ region }), "123456789012")).toBe(host);
  });

  it("leaves the address to DescribeRepositories behind an endpoint override, or without an account id", async () => {
    const local = new ECRClient({ region: "eu-west-1", endpoint: "http://127.0.0.1:4566" });
    expect(await awsRegistryHost(local, "123456789012")).toBeUndefined();
    expect(await awsRegistryHost(new ECRClient({ region: "eu-west-1" }), "shop")).toBeUndefined();
  });
});

describe("isTagMutable", () => {
  it.each([
    ["MUTABLE", [], "v1", true],
    ["IMMUTABLE", [], "v1", false],
    ["IMMUTABLE_WITH_EXCLUSION", ["latest", "env-*"], "env-staging", true],
    ["IMMUTABLE_WITH_EXCLUSION", ["latest", "env-*"], "v1", false],
    ["MUTABLE_WITH_EXCLUSION", ["v*"], "v1", false],
    ["MUTABLE_WITH_EXCLUSION", ["v*"], "main", true],
  ] as const)("%s with filters %j: %s may move is %s", (mutability, filters, tag, expected) => {
    expect(isTagMutable({ mutability, exclusionFilters: [...filters] }, tag)).toBe(expected);
  });
});

describe("planTagChanges", () => {
  const tags = [
    { name: "v1.5.0", pinned: true },
    { name: "1.5", pinned: false },
    { name: "staging", pinned: false },
    { name: "new", pinned: false },
  ];
  const current = new Map<string, string | undefined>([
    ["v1.5.0", A],
    ["1.5", B],
    ["staging", B],
    ["new", undefined],
  ]);

  it("adds new tags, keeps tags already on the image, moves floating tags in a mutable repository", () => {
    expect(planTagChanges(tags, current, A, MUTABLE)).toEqual({
      changes: [
        { tag: "v1.5.0", action: "unchanged" },
        { tag: "1.5", action: "move", from: B },
        { tag: "staging", action: "move", from: B },
        { tag: "new", action: "add" },
      ],
      conflicts: [],
    });
  });

  it("refuses to move a pinned tag even where ECR allows it", () => {
    const plan = planTagChanges(tags, current, B, MUTABLE);
    expect(plan.conflicts).toEqual([{ tag: "v1.5.0", current: A, reason: "pinned" }]);
  });

  it("refuses every move in an immutable repository", () => {
    const plan = planTagChanges(tags, current, A, IMMUTABLE);
    expect(plan.conflicts.map((c) => [c.tag, c.reason])).toEqual([
      ["1.5", "immutable"],
      ["staging", "immutable"],
    ]);
  });

  it("names the moving tags an immutable repository could not hold", () => {
    const moving = [
      { name: "main", moving: true, kind: "branch" as const },
      { name: "abc", moving: false, kind: "commit" as const },
      { name: "latest", moving: true, kind: "extra" as const },
    ];
    expect(immutableMovingTags(moving, IMMUTABLE)).toEqual(["main", "latest"]);
    expect(
      immutableMovingTags(moving, { mutability: "IMMUTABLE_WITH_EXCLUSION", exclusionFilters: ["latest"] }),
    ).toEqual(["main"]);
    expect(immutableMovingTags(moving, MUTABLE)).toEqual([]);
  });

  it("refuses moving tags in an immutable repository, naming the inputs that ask for them", () => {
    const tags = [
      { name: "abc", moving: false, kind: "commit" as const },
      { name: "main", moving: true, kind: "branch" as const },
      { name: "1.5", moving: true, kind: "semver" as const },
    ];
    const refusal = movingTagsRefusal(tags, { name: "shop/web", ...IMMUTABLE });
    expect(refusal?.message).toBe(
      "shop/web has IMMUTABLE tags, but `main`, `1.5` would have to move to each new image.",
    );
    expect(refusal?.input).toBe("branch-tag");
    expect(refusal?.fix).toContain("Drop `branch-tag`, `semver-tags`");
    expect(movingTagsRefusal(tags, { name: "shop/web", ...MUTABLE })).toBeUndefined();
  });
});

describe("judgeScan", () => {
  const counts = (values: Partial<SeverityCounts>): SeverityCounts => ({ ...zeroCounts(), ...values });

  it.each<[string, Partial<SeverityCounts>, Record<string, number>, boolean]>([
    ["no findings", {}, {}, true],
    ["a high finding at a high threshold", { HIGH: 1 }, {}, false],
    ["a high finding that is allowed", { HIGH: 1 }, { HIGH: 1 }, true],
    ["a critical finding while only highs are allowed", { CRITICAL: 1, HIGH: 1 }, { HIGH: 5 }, false],
    ["medium findings below a high threshold", { MEDIUM: 40, LOW: 3 }, {}, true],
  ])("judges %s", (_, found, allowed, passed) => {
    const verdict = judgeScan(
      { status: "COMPLETE", description: undefined, counts: counts(found), ignored: zeroCounts() },
      { threshold: "HIGH", allowed },
    );
    expect(verdict.passed).toBe(passed);
  });

  it("fails a scan that did not settle, whatever its counts", () => {
    const verdict = judgeScan(
      {
        status: "UNSUPPORTED_IMAGE",
        description: "The operating system is not supported.",
        counts: zeroCounts(),
        ignored: zeroCounts(),
      },
      { threshold: "CRITICAL", allowed: {} },
    );
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons[0]).toContain("UNSUPPORTED_IMAGE (The operating system is not supported.)");
  });

  it("judges severities at or above the threshold only, and says by how much", () => {
    const verdict = judgeScan(
      {
        status: "ACTIVE",
        description: undefined,
        counts: counts({ HIGH: 3, MEDIUM: 9 }),
        ignored: counts({ HIGH: 1 }),
      },
      { threshold: "HIGH", allowed: { HIGH: 2 } },
    );
    expect(verdict.reasons).toEqual(["3 high findings (allowed 2)"]);
    expect(verdict.rows.find((r) => r.severity === "MEDIUM")).toMatchObject({
      count: 9,
      allowed: undefined,
      exceeded: false,
    });
    expect(verdict.rows.find((r) => r.severity === "HIGH")).toMatchObject({
      count: 3,
      ignored: 1,
      allowed: 2,
      exceeded: true,
    });
  });
});

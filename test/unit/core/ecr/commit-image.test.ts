// Whether a build builds: the commit's image in ECR is reused, a rebuild moves the commit tag (and is
// refused where the tag may not move), and what the run did to the commit tag.
import { describe, expect, it } from "vitest";
import {
  commitTagChange,
  NEW_IMAGE_DIGEST,
  planCommitImage,
  plannedDigest,
} from "../../../../packages/core/src/ecr/commit-image";
import { UserError } from "../../../../packages/core/src/runtime/errors";

const TAG = "0123456789abcdef0123456789abcdef01234567";
const HELD = `sha256:${"a".repeat(64)}`;
const MUTABLE = { name: "shop/web", mutability: "MUTABLE" as const, exclusionFilters: [] };
const IMMUTABLE = { name: "shop/web", mutability: "IMMUTABLE" as const, exclusionFilters: [] };

describe("planCommitImage", () => {
  it("builds a commit ECR holds no image for, and adds its tag", () => {
    const plan = planCommitImage(TAG, undefined, { skipExisting: true, repository: undefined });
    expect(plan).toEqual({ action: "build", commitTag: TAG, replaces: undefined });
    expect(plannedDigest(plan)).toBe(NEW_IMAGE_DIGEST);
    expect(commitTagChange(plan)).toEqual({ tag: TAG, action: "added" });
  });

  it("reuses the image ECR holds under the commit tag, leaving the tag as it is", () => {
    const plan = planCommitImage(TAG, { digest: HELD }, { skipExisting: true, repository: IMMUTABLE });
    expect(plan).toEqual({ action: "reuse", commitTag: TAG, digest: HELD });
    expect(plannedDigest(plan)).toBe(HELD);
    expect(commitTagChange(plan)).toEqual({ tag: TAG, action: "unchanged" });
  });

  it("rebuilds when asked to, moving the commit tag off the image it named", () => {
    const plan = planCommitImage(TAG, { digest: HELD }, { skipExisting: false, repository: MUTABLE });
    expect(plan).toEqual({ action: "build", commitTag: TAG, replaces: HELD });
    expect(plannedDigest(plan)).toBe(NEW_IMAGE_DIGEST);
    expect(commitTagChange(plan)).toEqual({ tag: TAG, action: "moved", from: HELD });
  });

  it("refuses a rebuild where the commit tag may not move, naming skip-existing", () => {
    let error: unknown;
    try {
      planCommitImage(TAG, { digest: HELD }, { skipExisting: false, repository: IMMUTABLE });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).input).toBe("skip-existing");
    expect((error as UserError).message).toContain(`${TAG} already names sha256:${"a".repeat(12)}…`);
  });

  it("lets a rebuild move a commit tag excluded from immutability", () => {
    const plan = planCommitImage(
      TAG,
      { digest: HELD },
      {
        skipExisting: false,
        repository: { name: "shop/web", mutability: "IMMUTABLE_WITH_EXCLUSION", exclusionFilters: ["0123*"] },
      },
    );
    expect(plan.action).toBe("build");
  });
});

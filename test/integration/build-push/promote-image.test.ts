// promoteImage from the core library (used outside the action, e.g. by the demo), against the
// simulated ECR with images in memory: no Docker needed (integration: simulator).
import { ECRClient } from "@aws-sdk/client-ecr";
import { afterEach, expect, it } from "vitest";
import { awsClientConfig } from "../../../packages/core/src/aws/clients";
import { planPromotion, promoteImage, readPromotion } from "../../../packages/core/src/ecr/promotion";
import { UserError } from "../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";
import { type Simulator, startSimulator } from "../../sim/index";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function setup() {
  sim = await startSimulator({ scenario: { ecr: { repositories: [{ name: "shop/web" }] } } });
  const ecr = sim.ecr;
  const staging = ecr.seedImage("shop/web", { tags: ["abc", "v1.0.0"] });
  const other = ecr.seedImage("shop/web", { tags: ["def"] });
  const client = new ECRClient({
    ...awsClientConfig({ region: sim.region, endpoint: sim.endpoint }),
    credentials: { accessKeyId: "AKIASIMULATOR000000", secretAccessKey: "x" },
  });
  const repository = { ref: { name: "shop/web" } };
  return { client, repository, staging, other };
}

it("plans which tags go on which digest, and why each may or may not, without writing", async () => {
  const { client, repository, staging, other } = await setup();
  const before = sim?.callsTo("PutImage").length;
  const plan = await planPromotion(client, repository, { tag: "def" }, [
    { name: "def", pinned: true, moving: false },
    { name: "prod", pinned: false, moving: false },
    { name: "abc", pinned: false, moving: false },
    { name: "v1.0.0", pinned: true, moving: false },
  ]);
  expect(plan.source).toEqual({ tag: "def" });
  expect(plan.image.digest).toBe(other);
  expect(plan.changes).toEqual([
    { tag: "def", action: "unchanged" },
    { tag: "prod", action: "add" },
    { tag: "abc", action: "move", from: staging },
  ]);
  expect(plan.conflicts).toEqual([{ tag: "v1.0.0", current: staging, reason: "pinned" }]);
  expect(await readPromotion(client, repository, { tag: "nothing" }, [])).toBeUndefined();
  expect(sim?.callsTo("PutImage").length).toBe(before);
});

it("adds tags to an image by PutImage and is idempotent", async () => {
  const { client, repository, staging } = await setup();
  const tags = [
    { name: "v1.1.0", pinned: true, moving: false },
    { name: "prod", pinned: false, moving: false },
  ];
  const first = await promoteImage(client, repository, { tag: "abc" }, tags, new RecordingLogger());
  expect(first).toEqual({
    digest: staging,
    results: [
      { tag: "v1.1.0", action: "added" },
      { tag: "prod", action: "added" },
    ],
  });
  const again = await promoteImage(client, repository, { digest: staging }, tags, new RecordingLogger());
  expect(again.results.map((r) => r.action)).toEqual(["unchanged", "unchanged"]);
});

it("refuses to repoint a version tag before writing any tag", async () => {
  const { client, repository } = await setup();
  const before = sim?.callsTo("PutImage").length;
  const error = await promoteImage(
    client,
    repository,
    { tag: "def" },
    [
      { name: "prod", pinned: false, moving: false },
      { name: "v1.0.0", pinned: true, moving: false },
    ],
    new RecordingLogger(),
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).message).toContain("`v1.0.0` already names");
  expect(sim?.callsTo("PutImage").length).toBe(before);
});

// The simulated ECR deleting images, through the real SDK client: a lifecycle policy that the
// simulated clock drives (images pushed more than N days ago, or beyond the newest N), and a deletion
// by another actor through the control surface; a deleted digest is answered as ECR answers a missing one.
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  InvalidParameterException,
  LifecyclePolicyNotFoundException,
  PutLifecyclePolicyCommand,
} from "@aws-sdk/client-ecr";
import { afterEach, describe, expect, it } from "vitest";
import { awsClientConfig } from "../../../packages/core/src/aws/clients";
import { type Simulator, simulatorEnv, startSimulator } from "../../sim/index";

const DAY = 86_400_000;
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function ecrClient(s: Simulator): ECRClient {
  const env = simulatorEnv(s);
  return new ECRClient({
    ...awsClientConfig({ region: s.region, endpoint: s.endpoint, maxAttempts: 1 }),
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  });
}

async function withImages(): Promise<{ ecr: ECRClient; digests: string[] }> {
  sim = await startSimulator({
    scenario: { clock: { mode: "manual" }, ecr: { repositories: [{ name: "web" }] } },
  });
  const digests: string[] = [];
  for (const tag of ["v1", "v2", "v3"]) {
    digests.push(sim.ecr.seedImage("web", { tags: [tag] }));
    sim.advance(DAY);
  }
  return { ecr: ecrClient(sim), digests };
}

const policy = (selection: Record<string, unknown>) =>
  JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: "expire old release images of the simulated repository",
        selection: { tagStatus: "any", ...selection },
        action: { type: "expire" },
      },
    ],
  });

describe("ECR image deletion", () => {
  it("expires the images beyond the newest N, and answers for their digests as for a missing image", async () => {
    const { ecr, digests } = await withImages();
    await ecr.send(
      new PutLifecyclePolicyCommand({
        repositoryName: "web",
        lifecyclePolicyText: policy({ countType: "imageCountMoreThan", countNumber: 2 }),
      }),
    );
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: "web", imageIds: [{ imageDigest: digests[0] }] })),
    ).rejects.toBeInstanceOf(ImageNotFoundException);
    const batch = await ecr.send(
      new BatchGetImageCommand({
        repositoryName: "web",
        imageIds: [{ imageDigest: digests[0] }, { imageTag: "v3" }],
      }),
    );
    expect(batch.failures).toEqual([
      {
        imageId: { imageDigest: digests[0] },
        failureCode: "ImageNotFound",
        failureReason: "Requested image not found",
      },
    ]);
    expect(batch.images?.map((i) => i.imageId?.imageDigest)).toEqual([digests[2]]);
    expect(sim?.ecr.expired("web")).toEqual([digests[0]]);
  });

  it("expires an image once the simulated clock passes its age limit, not before", async () => {
    const { ecr, digests } = await withImages();
    await ecr.send(
      new PutLifecyclePolicyCommand({
        repositoryName: "web",
        lifecyclePolicyText: policy({ countType: "sinceImagePushed", countUnit: "days", countNumber: 3 }),
      }),
    );
    const listed = async () =>
      (await ecr.send(new DescribeImagesCommand({ repositoryName: "web" }))).imageDetails?.map(
        (d) => d.imageDigest,
      );
    expect(await listed()).toHaveLength(3);
    sim?.advance(DAY / 2);
    expect(await listed()).not.toContain(digests[0]);
    expect(await listed()).toContain(digests[1]);
    const got = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: "web" }));
    expect(got.lastEvaluatedAt).toBeInstanceOf(Date);
  });

  it("deletes an image by digest through the control surface", async () => {
    const { ecr, digests } = await withImages();
    sim?.ecr.expireImage("web", digests[1] as string);
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: "web", imageIds: [{ imageTag: "v2" }] })),
    ).rejects.toBeInstanceOf(ImageNotFoundException);
  });

  it("refuses a policy ECR would refuse, and has none until one is put", async () => {
    const { ecr } = await withImages();
    await expect(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: "web" }))).rejects.toBeInstanceOf(
      LifecyclePolicyNotFoundException,
    );
    await expect(
      ecr.send(
        new PutLifecyclePolicyCommand({
          repositoryName: "web",
          lifecyclePolicyText: policy({ countType: "sinceImagePushed", countNumber: 3 }),
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

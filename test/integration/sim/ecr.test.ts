// The simulated ECR, driven through the real SDK client: repositories, promotion by BatchGetImage +
// PutImage, login tokens, scan findings; in memory, and in front of a real registry that a real
// Docker engine pushes to.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  InvalidParameterException,
  LimitExceededException,
  PutImageCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { awsClientConfig } from "../../../packages/core/src/aws/clients";
import { available } from "../../rig/availability";
import {
  DOCKER_INSTALL_HINT,
  type DockerEngine,
  dockerAvailable,
  startDockerEngine,
} from "../../rig/services/docker";
import {
  type LocalRegistry,
  REGISTRY_INSTALL_HINT,
  registryAvailable,
  skopeoAvailable,
  startRegistry,
} from "../../rig/services/registry";
import { type Simulator, simulatorEnv, startSimulator } from "../../sim/index";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function ecrClient(s: Simulator, maxAttempts = 3): ECRClient {
  const env = simulatorEnv(s);
  return new ECRClient({
    ...awsClientConfig({ region: s.region, endpoint: s.endpoint, maxAttempts }),
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  });
}

async function promote(ecr: ECRClient, repositoryName: string, from: string, to: string) {
  const got = await ecr.send(new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: from }] }));
  const image = got.images?.[0];
  if (!image?.imageManifest) throw new Error(`no manifest for ${from}: ${JSON.stringify(got.failures)}`);
  return ecr.send(
    new PutImageCommand({
      repositoryName,
      imageManifest: image.imageManifest,
      imageManifestMediaType: image.imageManifestMediaType,
      imageTag: to,
    }),
  );
}

describe("repositories", () => {
  it("creates and describes repositories with tag mutability and scan on push", async () => {
    sim = await startSimulator();
    const ecr = ecrClient(sim);
    const created = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: "shop/web",
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
    expect(created.repository).toMatchObject({
      repositoryName: "shop/web",
      registryId: "123456789012",
      repositoryUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web",
      repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/shop/web",
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
    });
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["shop/web"] }));
    expect(described.repositories?.[0]?.createdAt).toBeInstanceOf(Date);
    expect(described.repositories?.[0]?.imageTagMutability).toBe("IMMUTABLE");
  });

  it.each([
    [
      "an unknown repository",
      () => new DescribeRepositoriesCommand({ repositoryNames: ["nope"] }),
      RepositoryNotFoundException,
    ],
    [
      "a repository that exists",
      () => new CreateRepositoryCommand({ repositoryName: "shop/web" }),
      RepositoryAlreadyExistsException,
    ],
    [
      "an invalid name",
      () => new CreateRepositoryCommand({ repositoryName: "Shop Web" }),
      InvalidParameterException,
    ],
  ] as const)("refuses %s with the AWS error", async (_, command, errorClass) => {
    sim = await startSimulator({ scenario: { ecr: { repositories: [{ name: "shop/web" }] } } });
    await expect(ecrClient(sim).send(command() as never)).rejects.toBeInstanceOf(errorClass);
  });

  it("pages through repositories", async () => {
    sim = await startSimulator({
      scenario: { ecr: { repositories: ["a1", "a2", "a3"].map((name) => ({ name })) } },
    });
    const ecr = ecrClient(sim);
    const first = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 2 }));
    expect(first.repositories?.map((r) => r.repositoryName)).toEqual(["a1", "a2"]);
    const second = await ecr.send(
      new DescribeRepositoriesCommand({ maxResults: 2, nextToken: first.nextToken }),
    );
    expect(second.repositories?.map((r) => r.repositoryName)).toEqual(["a3"]);
    expect(second.nextToken).toBeUndefined();
  });
});

describe("images in memory (no registry configured)", () => {
  it("describes seeded images and answers ImageNotFoundException for a missing tag", async () => {
    sim = await startSimulator({
      scenario: { ecr: { repositories: [{ name: "shop/web", images: [{ tags: ["abc123", "main"] }] }] } },
    });
    const ecr = ecrClient(sim);
    const out = await ecr.send(
      new DescribeImagesCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "main" }] }),
    );
    expect(out.imageDetails?.[0]?.imageTags).toEqual(["abc123", "main"]);
    expect(out.imageDetails?.[0]?.imageDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "zzz" }] })),
    ).rejects.toBeInstanceOf(ImageNotFoundException);
  });

  it("promotes by BatchGetImage + PutImage: same digest, the same tag again is ImageAlreadyExists", async () => {
    sim = await startSimulator({
      scenario: { ecr: { repositories: [{ name: "shop/web", images: [{ tags: ["abc123"] }] }] } },
    });
    const ecr = ecrClient(sim);
    const put = await promote(ecr, "shop/web", "abc123", "v1.5.0");
    const source = await ecr.send(
      new DescribeImagesCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "abc123" }] }),
    );
    expect(put.image?.imageId?.imageDigest).toBe(source.imageDetails?.[0]?.imageDigest);
    expect(source.imageDetails?.[0]?.imageTags).toEqual(["abc123", "v1.5.0"]);
    await expect(promote(ecr, "shop/web", "abc123", "v1.5.0")).rejects.toBeInstanceOf(
      ImageAlreadyExistsException,
    );
  });

  it("refuses to move a tag in an IMMUTABLE repository, except for tags its exclusion filters name", async () => {
    sim = await startSimulator({
      scenario: {
        ecr: {
          repositories: [
            {
              name: "shop/web",
              imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
              exclusionFilters: ["latest*"],
              images: [{ tags: ["one", "v1.5.0", "latest"] }, { tags: ["two"] }],
            },
          ],
        },
      },
    });
    const ecr = ecrClient(sim);
    await expect(promote(ecr, "shop/web", "two", "v1.5.0")).rejects.toBeInstanceOf(
      ImageTagAlreadyExistsException,
    );
    await expect(promote(ecr, "shop/web", "two", "latest")).resolves.toBeTruthy();
  });

  it("resolves image references to digests for other simulated services", async () => {
    sim = await startSimulator({ scenario: { ecr: { repositories: [{ name: "shop/web" }] } } });
    const ecr = sim.ecr;
    const digest = ecr.seedImage("shop/web", { tags: ["abc123"] });
    await expect(
      ecr.resolveImage("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:abc123"),
    ).resolves.toEqual({ repository: "shop/web", digest });
    await expect(ecr.resolveImage(`shop/web@${digest}`)).resolves.toEqual({ repository: "shop/web", digest });
    await expect(ecr.resolveImage("shop/web:missing")).resolves.toBeUndefined();
  });
});

describe("scan findings", () => {
  const findings = [
    { id: "CVE-2024-0001", severity: "CRITICAL", package: { name: "openssl", version: "3.0.1" } },
    { id: "CVE-2024-0002", severity: "HIGH" },
    { id: "CVE-2024-0003", severity: "HIGH" },
    { id: "CVE-2024-0004", severity: "LOW" },
  ] as const;

  it("basic scan on push is IN_PROGRESS for the configured time, then COMPLETE with counts and findings", async () => {
    sim = await startSimulator({
      clock: { mode: "manual" },
      scenario: {
        clock: { mode: "manual" },
        ecr: {
          repositories: [{ name: "shop/web", scanOnPush: true, images: [{ tags: ["abc"] }] }],
          scans: [{ tag: "abc", inProgressMs: 60_000, findings: [...findings] }],
        },
      },
    });
    const ecr = ecrClient(sim);
    const request = { repositoryName: "shop/web", imageId: { imageTag: "abc" } };
    const early = await ecr.send(new DescribeImageScanFindingsCommand(request));
    expect(early.imageScanStatus?.status).toBe("IN_PROGRESS");
    expect(early.imageScanFindings).toBeUndefined();
    sim.advance(60_000);
    const first = await ecr.send(new DescribeImageScanFindingsCommand({ ...request, maxResults: 3 }));
    expect(first.imageScanStatus?.status).toBe("COMPLETE");
    expect(first.imageScanFindings?.findingSeverityCounts).toEqual({ CRITICAL: 1, HIGH: 2, LOW: 1 });
    expect(first.imageScanFindings?.findings?.map((f) => f.name)).toEqual([
      "CVE-2024-0001",
      "CVE-2024-0002",
      "CVE-2024-0003",
    ]);
    expect(first.imageScanFindings?.findings?.[0]?.attributes).toContainEqual({
      key: "package_name",
      value: "openssl",
    });
    const rest = await ecr.send(
      new DescribeImageScanFindingsCommand({ ...request, nextToken: first.nextToken }),
    );
    expect(rest.imageScanFindings?.findings?.map((f) => f.name)).toEqual(["CVE-2024-0004"]);
    const described = await ecr.send(
      new DescribeImagesCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "abc" }] }),
    );
    expect(described.imageDetails?.[0]?.imageScanFindingsSummary?.findingSeverityCounts).toEqual({
      CRITICAL: 1,
      HIGH: 2,
      LOW: 1,
    });
  });

  it("enhanced scanning settles at ACTIVE with enhanced findings", async () => {
    sim = await startSimulator({
      scenario: {
        clock: { mode: "manual" },
        ecr: {
          scanning: { type: "ENHANCED", inProgressMs: 0 },
          repositories: [{ name: "shop/web", images: [{ tags: ["abc"] }] }],
          scans: [{ tag: "abc", findings: [...findings] }],
        },
      },
    });
    const out = await ecrClient(sim).send(
      new DescribeImageScanFindingsCommand({ repositoryName: "shop/web", imageId: { imageTag: "abc" } }),
    );
    expect(out.imageScanStatus?.status).toBe("ACTIVE");
    expect(out.imageScanFindings?.findings).toBeUndefined();
    expect(
      out.imageScanFindings?.enhancedFindings?.map((f) => [
        f.packageVulnerabilityDetails?.vulnerabilityId,
        f.severity,
      ]),
    ).toEqual(findings.map((f) => [f.id, f.severity]));
  });

  it("reports a FAILED scan with its description", async () => {
    sim = await startSimulator({
      scenario: {
        clock: { mode: "manual" },
        ecr: {
          scanning: { inProgressMs: 0 },
          repositories: [{ name: "shop/web", scanOnPush: true, images: [{ tags: ["abc"] }] }],
          scans: [{ tag: "abc", status: "FAILED", description: "The scanner could not read the image." }],
        },
      },
    });
    const out = await ecrClient(sim).send(
      new DescribeImageScanFindingsCommand({ repositoryName: "shop/web", imageId: { imageTag: "abc" } }),
    );
    expect(out.imageScanStatus).toEqual({
      status: "FAILED",
      description: "The scanner could not read the image.",
    });
  });

  it("has no scan without scan on push until StartImageScan, which basic scanning allows once a day", async () => {
    sim = await startSimulator({
      scenario: {
        clock: { mode: "manual" },
        ecr: {
          scanning: { inProgressMs: 5_000 },
          repositories: [{ name: "shop/web", images: [{ tags: ["abc"] }] }],
        },
      },
    });
    const ecr = ecrClient(sim);
    const request = { repositoryName: "shop/web", imageId: { imageTag: "abc" } };
    await expect(ecr.send(new DescribeImageScanFindingsCommand(request))).rejects.toBeInstanceOf(
      ScanNotFoundException,
    );
    const started = await ecr.send(new StartImageScanCommand(request));
    expect(started.imageScanStatus?.status).toBe("IN_PROGRESS");
    await expect(ecr.send(new StartImageScanCommand(request))).rejects.toBeInstanceOf(LimitExceededException);
    sim.advance(5_000);
    const out = await ecr.send(new DescribeImageScanFindingsCommand(request));
    expect(out.imageScanStatus?.status).toBe("COMPLETE");
    expect(out.imageScanFindings?.findingSeverityCounts).toEqual({});
  });
});

const canRun =
  dockerAvailable() && registryAvailable() && skopeoAvailable()
    ? true
    : available("Docker engine and registry", false, `${DOCKER_INSTALL_HINT}; ${REGISTRY_INSTALL_HINT}`);

describe.runIf(canRun)("in front of a real registry (integration: dockerd + docker-registry)", () => {
  let engine: DockerEngine;
  let registry: LocalRegistry;
  let digest: string;
  let context: string;

  beforeAll(async () => {
    [engine, registry] = await Promise.all([startDockerEngine(), startRegistry()]);
    context = mkdtempSync(join(tmpdir(), "sl-ecr-ctx-"));
    writeFileSync(join(context, "hello.txt"), "hello from the ECR simulator test\n");
    writeFileSync(join(context, "Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n");
    engine.docker(["build", "--network", "host", "-t", "sl-ecr-test:1", "."], { cwd: context });
  });
  afterAll(async () => {
    await Promise.all([engine?.stop(), registry?.stop()]);
    if (context) rmSync(context, { recursive: true, force: true });
  });

  async function registrySim(): Promise<Simulator> {
    return startSimulator({
      scenario: {
        ecr: {
          registry: { url: registry.url, username: registry.username, password: registry.password },
          repositories: [{ name: "shop/web", imageTagMutability: "IMMUTABLE" }],
        },
      },
    });
  }

  it("hands out a login for the registry, and an image pushed with docker is found by DescribeImages", async () => {
    sim = await registrySim();
    const ecr = ecrClient(sim);
    const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0];
    expect(auth?.proxyEndpoint).toBe(registry.url);
    const [user, password] = Buffer.from(auth?.authorizationToken ?? "", "base64")
      .toString("utf8")
      .split(":");
    expect(user).toBe("AWS");
    const repository = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ["shop/web"] })))
      .repositories?.[0];
    expect(repository?.repositoryUri).toBe(`${registry.host}/shop/web`);

    engine.docker(["login", "-u", "AWS", "--password-stdin", registry.host], { input: password ?? "" });
    engine.docker(["tag", "sl-ecr-test:1", `${registry.host}/shop/web:abc123`]);
    const pushed = engine.docker(["push", `${registry.host}/shop/web:abc123`]);
    digest = /digest: (sha256:[a-f0-9]{64})/.exec(pushed)?.[1] ?? "";

    const out = await ecr.send(
      new DescribeImagesCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "abc123" }] }),
    );
    const detail = out.imageDetails?.[0];
    expect(detail?.imageDigest).toBe(digest);
    expect(detail?.imageDigest).toBe(registry.skopeoDigest("shop/web", "abc123"));
    expect(detail?.imageTags).toEqual(["abc123"]);
    expect(detail?.imageManifestMediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(detail?.imageSizeInBytes).toBeGreaterThan(0);
    const all = await ecr.send(new DescribeImagesCommand({ repositoryName: "shop/web" }));
    expect(all.imageDetails?.map((d) => d.imageDigest)).toEqual([digest]);
  });

  it("promotes by BatchGetImage + PutImage with no blob transfer, the same digest, and refuses an immutable move", async () => {
    sim = await registrySim();
    const ecr = ecrClient(sim);
    await registry.settle();
    const mark = registry.mark();
    const put = await promote(ecr, "shop/web", "abc123", "v1.5.0");
    await registry.settle();
    expect(put.image?.imageId?.imageDigest).toBe(digest);
    expect(registry.skopeoDigest("shop/web", "v1.5.0")).toBe(digest);
    expect(registry.blobTransfers(mark)).toEqual([]);
    expect(
      registry
        .requests(mark)
        .filter((r) => r.method === "PUT")
        .map((r) => r.path),
    ).toEqual(["/v2/shop/web/manifests/v1.5.0"]);

    await expect(promote(ecr, "shop/web", "abc123", "v1.5.0")).rejects.toBeInstanceOf(
      ImageAlreadyExistsException,
    );
    // Another image under an existing tag of this IMMUTABLE repository is refused.
    const other = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [],
    });
    await expect(
      ecr.send(new PutImageCommand({ repositoryName: "shop/web", imageManifest: other, imageTag: "abc123" })),
    ).rejects.toBeInstanceOf(ImageTagAlreadyExistsException);
    expect(registry.skopeoDigest("shop/web", "abc123")).toBe(digest);
  });

  it("keeps no second truth: an image pushed straight to the registry is seen by DescribeImages at once", async () => {
    sim = await registrySim();
    const ecr = ecrClient(sim);
    const before = await ecr.send(new DescribeImagesCommand({ repositoryName: "shop/web" }));
    expect(before.imageDetails?.[0]?.imageTags).toContain("abc123");
    // A new image pushed straight to the registry shows up without any ECR call having seen it.
    engine.docker(["tag", "sl-ecr-test:1", `${registry.host}/shop/web:direct`]);
    engine.docker(["push", `${registry.host}/shop/web:direct`]);
    const after = await ecr.send(
      new DescribeImagesCommand({ repositoryName: "shop/web", imageIds: [{ imageTag: "direct" }] }),
    );
    expect(after.imageDetails?.[0]?.imageDigest).toBe(digest);
    expect(after.imageDetails?.[0]?.imageTags).toEqual(["abc123", "direct", "v1.5.0"]);
    // The inspection surface reads the same registry.
    expect(await sim.ecr.images("shop/web")).toEqual([
      {
        imageDigest: digest,
        imageTags: ["abc123", "direct", "v1.5.0"],
        imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
      },
    ]);
  });
});

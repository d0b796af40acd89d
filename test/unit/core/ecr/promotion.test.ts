// Promotion against ECR servers that answer BatchGetImage in different ways (aws-sdk-client-mock): one
// that echoes each id asked, one that answers a tag with the image's most recent tag instead (as
// AWS-compatible endpoints do), one whose failures name no id. Every answer is matched to what was
// asked, so a version tag never moves, in one BatchGetImage and one PutImage per new tag.
import { createHash } from "node:crypto";
import {
  BatchGetImageCommand,
  type BatchGetImageCommandInput,
  DescribeRepositoriesCommand,
  ECRClient,
  type Image,
  ImageAlreadyExistsException,
  type ImageFailure,
  ImageTagAlreadyExistsException,
  PutImageCommand,
  type PutImageCommandInput,
  RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { executePromotion, planPromotion, promoteImage } from "../../../../packages/core/src/ecr/promotion";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const ecrMock = mockClient(ECRClient);
afterEach(() => ecrMock.reset());

const ACCOUNT = "123456789012";
const OCI = "application/vnd.oci.image.manifest.v1+json";

type Answering = "echo" | "most-recent-tag" | "failures-without-ids";

/** A repository as ECR keeps it, answering as the chosen kind of server does. */
class FakeRepository {
  readonly tags = new Map<string, string>();
  readonly manifests = new Map<string, string>();
  /** Tags in the order they were put: the last one of an image is its most recent. */
  readonly history: string[] = [];

  constructor(
    readonly answering: Answering = "echo",
    readonly mutability: "MUTABLE" | "IMMUTABLE" = "MUTABLE",
  ) {}

  push(name: string, tags: string[]): string {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI, config: { name } });
    const digest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
    this.manifests.set(digest, manifest);
    for (const tag of tags) this.#tag(tag, digest);
    return digest;
  }

  #tag(tag: string, digest: string): void {
    this.tags.set(tag, digest);
    this.history.push(tag);
  }

  #mostRecentTag(digest: string): string | undefined {
    return [...this.history].reverse().find((tag) => this.tags.get(tag) === digest);
  }

  batchGet(input: BatchGetImageCommandInput): { images: Image[]; failures: ImageFailure[] } {
    const images: Image[] = [];
    const failures: ImageFailure[] = [];
    for (const id of input.imageIds ?? []) {
      const digest = id.imageDigest ?? (id.imageTag ? this.tags.get(id.imageTag) : undefined);
      if (!digest || !this.manifests.has(digest)) {
        failures.push({
          ...(this.answering === "failures-without-ids" ? {} : { imageId: id }),
          failureCode: "ImageNotFound",
          failureReason: "Requested image not found",
        });
        continue;
      }
      const tag = this.answering === "most-recent-tag" ? this.#mostRecentTag(digest) : id.imageTag;
      images.push({
        registryId: ACCOUNT,
        repositoryName: input.repositoryName,
        imageId: { imageDigest: digest, ...(tag ? { imageTag: tag } : {}) },
        imageManifest: this.manifests.get(digest),
        imageManifestMediaType: OCI,
      });
    }
    return { images, failures };
  }

  put(input: PutImageCommandInput) {
    const manifest = input.imageManifest ?? "";
    const digest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
    const tag = input.imageTag ?? "";
    const now = this.tags.get(tag);
    if (now === digest) throw new ImageAlreadyExistsException({ message: "exists", $metadata: {} });
    if (now && this.mutability === "IMMUTABLE") {
      throw new ImageTagAlreadyExistsException({ message: "immutable", $metadata: {} });
    }
    this.manifests.set(digest, manifest);
    this.#tag(tag, digest);
    return { image: { imageId: { imageDigest: digest, imageTag: tag }, imageManifest: manifest } };
  }
}

function serve(repository: FakeRepository): void {
  ecrMock
    .on(BatchGetImageCommand)
    .callsFake((input: BatchGetImageCommandInput) => repository.batchGet(input));
  ecrMock.on(PutImageCommand).callsFake((input: PutImageCommandInput) => repository.put(input));
  ecrMock.on(DescribeRepositoriesCommand).resolves({
    repositories: [
      {
        repositoryName: "shop/web",
        registryId: ACCOUNT,
        repositoryUri: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shop/web`,
        imageTagMutability: repository.mutability,
      },
    ],
  });
}

const aws = () => new ECRClient({ region: "eu-west-1" });
const SHOP = { ref: { name: "shop/web" } };
const version = (name: string) => ({ name, pinned: true, moving: false });
const floating = (name: string) => ({ name, pinned: false, moving: true });

function calls(): string[] {
  return ecrMock.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
}

describe("promote in two calls", () => {
  it("reads the source and every tag in one BatchGetImage and writes a new tag with one PutImage", async () => {
    const repository = new FakeRepository();
    const staging = repository.push("staging", ["abc"]);
    serve(repository);
    const outcome = await promoteImage(
      aws(),
      SHOP,
      { tag: "abc" },
      [version("v1.0.0")],
      new RecordingLogger(),
    );
    expect(outcome).toEqual({ digest: staging, results: [{ tag: "v1.0.0", action: "added" }] });
    expect(calls()).toEqual(["BatchGetImageCommand", "PutImageCommand"]);
    expect(ecrMock.commandCalls(BatchGetImageCommand)[0]?.args[0].input.imageIds).toEqual([
      { imageTag: "abc" },
      { imageTag: "v1.0.0" },
    ]);
    // ECR checks the bytes hash to the digest asked, so the tag can land on nothing else.
    expect(ecrMock.commandCalls(PutImageCommand)[0]?.args[0].input).toMatchObject({
      imageTag: "v1.0.0",
      imageDigest: staging,
    });
    expect(repository.tags.get("v1.0.0")).toBe(staging);
  });

  it("names the repository by ECR's documented address on AWS, and asks DescribeRepositories behind an endpoint", async () => {
    const repository = new FakeRepository();
    repository.push("staging", ["abc"]);
    serve(repository);
    const onAws = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0")]);
    expect(onAws.repository.uri).toBe(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shop/web`);
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(0);

    const local = new ECRClient({ region: "eu-west-1", endpoint: "http://127.0.0.1:4566" });
    const behindEndpoint = await planPromotion(local, SHOP, { tag: "abc" }, [version("v1.0.0")]);
    expect(behindEndpoint.repository.registry).toBe(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`);
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(1);
  });

  it("takes the address from the source reference without describing the repository", async () => {
    const repository = new FakeRepository();
    repository.push("staging", ["abc"]);
    serve(repository);
    const local = new ECRClient({ region: "eu-west-1", endpoint: "http://127.0.0.1:4566" });
    const plan = await planPromotion(local, { ...SHOP, uri: "127.0.0.1:5000/shop/web" }, { tag: "abc" }, [
      version("v1.0.0"),
    ]);
    expect(plan.repository).toMatchObject({ uri: "127.0.0.1:5000/shop/web", registry: "127.0.0.1:5000" });
    expect(calls()).toEqual(["BatchGetImageCommand"]);
  });

  it("matches answers by id, not by their order", async () => {
    const repository = new FakeRepository();
    const staging = repository.push("staging", ["abc"]);
    const old = repository.push("old", ["v0.9.0"]);
    serve(repository);
    ecrMock.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => {
      const out = repository.batchGet(input);
      return { images: [...out.images].reverse(), failures: [...out.failures].reverse() };
    });
    const plan = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v0.9.0"), version("v1.0.0")]);
    expect(plan.image.digest).toBe(staging);
    expect(plan.conflicts).toEqual([{ tag: "v0.9.0", current: old, reason: "pinned" }]);
    expect(plan.changes).toEqual([{ tag: "v1.0.0", action: "add" }]);
  });

  it("promotes by digest, matching the answer by its manifest's hash whatever tag it carries", async () => {
    const repository = new FakeRepository("most-recent-tag");
    const staging = repository.push("staging", ["abc", "staging"]);
    serve(repository);
    const outcome = await promoteImage(
      aws(),
      SHOP,
      { digest: staging },
      [version("v1.0.0")],
      new RecordingLogger(),
    );
    expect(outcome.results).toEqual([{ tag: "v1.0.0", action: "added" }]);
    expect(calls()).toEqual(["BatchGetImageCommand", "PutImageCommand"]);
  });
});

describe("a version tag never moves", () => {
  it("refuses v1.0.0 on another image when the server answers that tag with the image's other tag", async () => {
    const repository = new FakeRepository("most-recent-tag");
    const staging = repository.push("staging", ["abc"]);
    const released = repository.push("released", ["v1.0.0", "latest"]);
    serve(repository);
    const error = await promoteImage(
      aws(),
      SHOP,
      { tag: "abc" },
      [version("v1.0.0")],
      new RecordingLogger(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("`v1.0.0` already names");
    expect(ecrMock.commandCalls(PutImageCommand)).toHaveLength(0);
    expect(repository.tags.get("v1.0.0")).toBe(released);
    expect(repository.tags.get("abc")).toBe(staging);
  });

  it("asks a tag alone when the batch answered it with another tag, and nothing more on an echoing server", async () => {
    const compat = new FakeRepository("most-recent-tag");
    compat.push("staging", ["abc", "staging"]);
    serve(compat);
    const plan = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0")]);
    // "abc" came back as "staging" (its most recent tag): the batch did not answer "abc" itself.
    expect(calls()).toEqual(["BatchGetImageCommand", "BatchGetImageCommand"]);
    expect(ecrMock.commandCalls(BatchGetImageCommand)[1]?.args[0].input.imageIds).toEqual([
      { imageTag: "abc" },
    ]);
    expect(plan.changes).toEqual([{ tag: "v1.0.0", action: "add" }]);
  });

  it("takes a failure for the id it names, and asks again an id whose failure names none", async () => {
    const named = new FakeRepository("echo");
    named.push("staging", ["abc"]);
    serve(named);
    await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0"), version("v1.0")]);
    expect(ecrMock.commandCalls(BatchGetImageCommand)).toHaveLength(1);

    ecrMock.reset();
    const anonymous = new FakeRepository("failures-without-ids");
    anonymous.push("staging", ["abc"]);
    serve(anonymous);
    const plan = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0"), version("v1.0")]);
    expect(ecrMock.commandCalls(BatchGetImageCommand).map((c) => c.args[0].input.imageIds)).toEqual([
      [{ imageTag: "abc" }, { imageTag: "v1.0.0" }, { imageTag: "v1.0" }],
      [{ imageTag: "v1.0.0" }],
      [{ imageTag: "v1.0" }],
    ]);
    expect(plan.changes.map((c) => c.action)).toEqual(["add", "add"]);
  });

  it("refuses an answer whose manifest does not hash to the digest it names", async () => {
    ecrMock.on(BatchGetImageCommand).resolves({
      images: [
        {
          imageId: { imageTag: "abc", imageDigest: `sha256:${"0".repeat(64)}` },
          imageManifest: "{}",
          imageManifestMediaType: OCI,
        },
      ],
    });
    const error = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0")]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("whose sha256 is not the digest it names");
  });

  it("fails when PutImage's answer names another digest than the one written", async () => {
    const repository = new FakeRepository();
    repository.push("staging", ["abc"]);
    serve(repository);
    ecrMock.on(PutImageCommand).resolves({ image: { imageId: { imageDigest: `sha256:${"9".repeat(64)}` } } });
    const error = await promoteImage(
      aws(),
      SHOP,
      { tag: "abc" },
      [version("v1.0.0")],
      new RecordingLogger(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("with digest sha256:9999");
  });

  it("reads the tags again before writing after a wait in a MUTABLE repository, and refuses one taken meanwhile", async () => {
    const repository = new FakeRepository("echo", "MUTABLE");
    repository.push("staging", ["abc"]);
    serve(repository);
    const plan = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0")]);
    const other = repository.push("other", ["v1.0.0"]); // another run released v1.0.0 meanwhile
    const error = await executePromotion(aws(), plan, new RecordingLogger(), { stale: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("`v1.0.0` already names");
    expect(ecrMock.commandCalls(PutImageCommand)).toHaveLength(0);
    expect(repository.tags.get("v1.0.0")).toBe(other);
  });

  it("leaves the race to ECR in an IMMUTABLE repository: no second read, and its refusal explained", async () => {
    const repository = new FakeRepository("echo", "IMMUTABLE");
    repository.push("staging", ["abc"]);
    serve(repository);
    const described = {
      name: "shop/web",
      registryId: ACCOUNT,
      uri: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shop/web`,
      registry: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`,
      mutability: "IMMUTABLE" as const,
      exclusionFilters: [],
      scanOnPush: true,
    };
    const plan = await planPromotion(aws(), { ...SHOP, described }, { tag: "abc" }, [version("v1.0.0")]);
    repository.push("other", ["v1.0.0"]);
    const error = await executePromotion(aws(), plan, new RecordingLogger(), { stale: true }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain("taken by another image meanwhile");
    expect(calls()).toEqual(["BatchGetImageCommand", "PutImageCommand"]);
  });
});

describe("refusals and the calls they need", () => {
  it("describes the repository only to decide a tag that moves, and refuses it in an IMMUTABLE one", async () => {
    const repository = new FakeRepository("echo", "IMMUTABLE");
    repository.push("staging", ["abc"]);
    serve(repository);
    const plan = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0"), floating("1.0")]);
    expect(plan.repository.described?.mutability).toBe("IMMUTABLE");
    expect(calls()).toEqual(["BatchGetImageCommand", "DescribeRepositoriesCommand"]);
  });

  it("names `source` when ECR refuses the source id, and `repository` when there is none", async () => {
    ecrMock.on(BatchGetImageCommand).resolves({
      failures: [
        { imageId: { imageTag: "sha256:xyz" }, failureCode: "InvalidImageTag", failureReason: "bad tag" },
      ],
    });
    const rejected = await planPromotion(aws(), SHOP, { tag: "sha256:xyz" }, [version("v1.0.0")]).catch(
      (e: unknown) => e,
    );
    expect(rejected).toBeInstanceOf(UserError);
    expect((rejected as UserError).input).toBe("source");

    ecrMock
      .on(BatchGetImageCommand)
      .rejects(new RepositoryNotFoundException({ message: "no", $metadata: {} }));
    const missing = await planPromotion(aws(), SHOP, { tag: "abc" }, [version("v1.0.0")]).catch(
      (e: unknown) => e,
    );
    expect((missing as UserError).input).toBe("repository");
  });
});

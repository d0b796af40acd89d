// The docker command lines of each builder, what each builder cannot do, and reading push output.
import { describe, expect, it } from "vitest";
import {
  type BuildSpec,
  buildCommand,
  buildProblems,
  ociLabels,
  parsePushDigest,
} from "../../../../packages/core/src/docker/build";
import { chooseBuilder } from "../../../../packages/core/src/docker/builder";

const spec: BuildSpec = {
  context: "/w/app",
  dockerfile: "/w/app/Dockerfile",
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:abc",
  labels: { "org.opencontainers.image.revision": "abc" },
  buildArgs: { NODE_ENV: "production" },
  secretFiles: [{ id: "npm_token", path: "/tmp/s/secret-0" }],
  target: "release",
  platforms: ["linux/amd64"],
  network: "host",
  cache: { from: "r/shop/web:buildcache", to: "r/shop/web:buildcache" },
  provenance: false,
};
const files = { metadataFile: "/tmp/m.json", iidFile: "/tmp/iid" };

describe("chooseBuilder", () => {
  it.each([
    ["20.10.24+dfsg1", "0.12.1", "buildx"],
    ["20.10.24+dfsg1", undefined, "buildkit"],
    ["28.2.2", undefined, "legacy"],
    ["23.0.0", undefined, "legacy"],
  ] as const)("client %s with buildx %s builds with %s", (client, buildx, kind) => {
    expect(chooseBuilder(client, buildx)).toBe(kind);
  });
});

describe("buildCommand", () => {
  it("pushes with buildx, with the ECR registry cache settings and the metadata file", () => {
    const { args, env } = buildCommand(spec, "buildx", files);
    expect(args.slice(0, 2)).toEqual(["buildx", "build"]);
    expect(args).toContain("--push");
    expect(args).toContain("--provenance=false");
    expect(args.join(" ")).toContain(
      "--cache-to type=registry,ref=r/shop/web:buildcache,mode=max,image-manifest=true,oci-mediatypes=true",
    );
    expect(args.join(" ")).toContain("--cache-from type=registry,ref=r/shop/web:buildcache");
    expect(args.join(" ")).toContain("--metadata-file /tmp/m.json");
    expect(args.join(" ")).toContain("--secret id=npm_token,src=/tmp/s/secret-0");
    expect(args.at(-1)).toBe("/w/app");
    expect(env).toEqual({ DOCKER_BUILDKIT: "1" });
  });

  it("reads the cache only when it cannot be written", () => {
    const { args } = buildCommand({ ...spec, cache: { from: "r/x:buildcache" } }, "buildx", files);
    expect(args).toContain("--cache-from");
    expect(args).not.toContain("--cache-to");
  });

  it("builds with docker build and BuildKit, leaving the push to docker push", () => {
    const { args, env } = buildCommand(spec, "buildkit", files);
    expect(args[0]).toBe("build");
    expect(args).not.toContain("--push");
    expect(args).not.toContain("--cache-from");
    expect(args.join(" ")).toContain("--iidfile /tmp/iid");
    expect(args.join(" ")).toContain("--build-arg NODE_ENV=production");
    expect(args.join(" ")).toContain("--label org.opencontainers.image.revision=abc");
    expect(args.join(" ")).toContain("--target release");
    expect(args.join(" ")).toContain("--network host");
    expect(env).toEqual({ DOCKER_BUILDKIT: "1" });
  });

  it("turns BuildKit off for the legacy builder, whatever the job's environment says", () => {
    const { args, env } = buildCommand({ ...spec, secretFiles: [] }, "legacy", files);
    expect(env).toEqual({ DOCKER_BUILDKIT: "0" });
    expect(args).not.toContain("--progress");
  });
});

describe("buildProblems", () => {
  it("allows everything with buildx", () => {
    expect(
      buildProblems({ ...spec, platforms: ["linux/amd64", "linux/arm64"], provenance: true }, "buildx"),
    ).toEqual([]);
  });

  it("names the inputs a builder without buildx cannot honour", () => {
    const problems = buildProblems(
      { ...spec, platforms: ["linux/amd64", "linux/arm64"], provenance: true },
      "legacy",
    );
    expect(problems.map((p) => p.input)).toEqual(["platforms", "provenance", "secrets"]);
    expect(buildProblems(spec, "buildkit")).toEqual([]);
  });
});

describe("parsePushDigest", () => {
  it("reads the digest of the pushed tag", () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const output = `The push refers to repository [r/shop/web]\n5f70bf18a086: Pushed\nabc: digest: ${digest} size: 528\n`;
    expect(parsePushDigest(output, "abc")).toBe(digest);
    expect(parsePushDigest("nothing here", "abc")).toBeUndefined();
  });
});

describe("ociLabels", () => {
  it("labels the image with when, what and where it was built from, and lets the caller's labels win", () => {
    const labels = ociLabels(
      {
        created: new Date("2026-01-02T03:04:05Z"),
        revision: "abc",
        source: "https://github.com/acme/shop",
        version: "v1.5.0",
      },
      { "org.opencontainers.image.source": "https://example.test/mirror", team: "shop" },
    );
    expect(labels).toEqual({
      "org.opencontainers.image.created": "2026-01-02T03:04:05.000Z",
      "org.opencontainers.image.revision": "abc",
      "org.opencontainers.image.source": "https://example.test/mirror",
      "org.opencontainers.image.version": "v1.5.0",
      team: "shop",
    });
  });

  it("leaves out the source and version it does not know", () => {
    expect(Object.keys(ociLabels({ created: new Date(0), revision: "abc" }, {}))).toEqual([
      "org.opencontainers.image.created",
      "org.opencontainers.image.revision",
    ]);
  });
});

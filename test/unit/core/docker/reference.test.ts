// Image references against the distribution reference grammar, part by part.
import { describe, expect, it } from "vitest";
import {
  ImageReferenceError,
  imageReferenceCheck,
  parseImageReference,
} from "../../../../packages/core/src/docker/reference";
import { InvalidValue } from "../../../../packages/core/src/runtime/inputs";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseImageReference", () => {
  it.each([
    ["nginx", { domain: undefined, path: "nginx", tag: undefined, digest: undefined }],
    ["acme/app:1.2.3", { domain: undefined, path: "acme/app", tag: "1.2.3", digest: undefined }],
    [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:main",
      {
        domain: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        path: "shop/web",
        tag: "main",
        digest: undefined,
      },
    ],
    ["localhost:5000/app", { domain: "localhost:5000", path: "app", tag: undefined, digest: undefined }],
    ["localhost/app:v1", { domain: "localhost", path: "app", tag: "v1", digest: undefined }],
    ["[::1]:5000/app:v1", { domain: "[::1]:5000", path: "app", tag: "v1", digest: undefined }],
    [`acme/app@${DIGEST}`, { domain: undefined, path: "acme/app", tag: undefined, digest: DIGEST }],
    [`acme/app:v1@${DIGEST}`, { domain: undefined, path: "acme/app", tag: "v1", digest: DIGEST }],
    [
      "Registry.Example.com/a__b/c-d.e--f:_Tag",
      {
        domain: "Registry.Example.com",
        path: "a__b/c-d.e--f",
        tag: "_Tag",
        digest: undefined,
      },
    ],
    [
      `acme/app:${"t".repeat(128)}`,
      { domain: undefined, path: "acme/app", tag: "t".repeat(128), digest: undefined },
    ],
  ])("reads %s", (raw, parts) => {
    expect(parseImageReference(raw)).toEqual(parts);
  });

  it.each([
    ["", /it is empty/],
    ["acme/app:$(id)", /the tag "\$\(id\)" is not/],
    ["acme/app:`id`", /the tag "`id`" is not/],
    ["acme/app;id", /path component "app;id"/],
    ["acme/App", /path component "App"/],
    ["acme//app", /empty component/],
    ["acme/app/", /empty component/],
    ["acme/-app", /path component "-app"/],
    ["acme/app:.v1", /the tag ".v1"/],
    [`acme/app:${"t".repeat(129)}`, /the tag "t+" is not 1 to 128/],
    ["acme/app@sha256:abc", /the digest "sha256:abc" is not <algorithm>:<hex>/],
    [`acme/app@sha256:${"A".repeat(64)}`, /a sha256 digest is 64 lower-case hex digits/],
    [`acme/app@md5:${"a".repeat(32)}`, /the digest algorithm "md5" is not supported/],
    [`acme/app@${DIGEST}@${DIGEST}`, /the digest/],
    ["registry_x.example.com/app", /the registry host "registry_x.example.com" is not a host name/],
    ["registry.example.com:99999/app", /the registry port "99999"/],
    [`${"a".repeat(256)}:v1`, /the repository name is 256 characters, more than 255/],
    ["a".repeat(100_000), /it is 100000 characters long, longer than any image reference/],
  ])("refuses %j", (raw, problem) => {
    expect(() => parseImageReference(raw)).toThrow(ImageReferenceError);
    expect(() => parseImageReference(raw)).toThrow(problem);
  });
});

describe("imageReferenceCheck", () => {
  it("raises an input problem that quotes the value and says how to write one", () => {
    try {
      imageReferenceCheck()("acme/app:$(id)");
      throw new Error("accepted");
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidValue);
      expect((error as InvalidValue).message).toMatch(
        /^"acme\/app:\$\(id\)" is not an image reference: the tag/,
      );
      expect((error as InvalidValue).fix).toMatch(/<registry>\/<repository>:<tag>/);
    }
  });

  it("can require a digest", () => {
    expect(() => imageReferenceCheck({ digest: "required" })("acme/app:v1")).toThrow(/names no digest/);
    expect(() => imageReferenceCheck({ digest: "required" })(`acme/app@${DIGEST}`)).not.toThrow();
  });
});

// Image references read part by part against the grammar Docker and every OCI registry use
// (distribution's reference grammar): [domain/]path[:tag][@digest]. Each part is checked on its own,
// so an error says which part is wrong, and the length is bounded before any pattern is tried.
import { InvalidValue, type ValueCheck } from "../runtime/inputs";

export interface ImageReference {
  /** Registry host (and port), when the first component is one. */
  domain: string | undefined;
  /** The repository path: lower-case components separated by "/". */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** A repository name (domain and path) is at most 255 characters. */
const NAME_MAX = 255;
/** Name, ":" and a 128-character tag, "@" and a sha512 digest: anything longer is not a reference. */
const REFERENCE_MAX = NAME_MAX + 1 + 128 + 1 + 7 + 128;

/** alpha-numeric runs joined by one separator: ".", "_", "__" or one or more "-". */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A DNS label: letters, digits and inner hyphens. */
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;
const PORT = /^[0-9]+$/;
/** Docker's tag grammar, which ECR enforces too: 128 characters at most, no leading "." or "-". */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** algorithm-component ([A-Za-z][A-Za-z0-9]*) joined by "+", ".", "-" or "_", then ":" and the hex. */
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** The hex lengths of the algorithms registries accept; others are grammatical but unusable. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export class ImageReferenceError extends Error {}

/**
 * The first component is a registry host when it has a "." or ":" or is "localhost", or has an upper-
 * case letter (path components cannot): the rule `docker pull` uses to tell `acme/app` from
 * `registry.example.com/app`.
 */
function isDomain(component: string): boolean {
  return /[.:]/.test(component) || component === "localhost" || /[A-Z]/.test(component);
}

function checkDomain(domain: string): void {
  const colon = domain.startsWith("[") ? domain.indexOf(":", domain.indexOf("]")) : domain.indexOf(":");
  const host = colon < 0 ? domain : domain.slice(0, colon);
  const port = colon < 0 ? undefined : domain.slice(colon + 1);
  const hostOk = IPV6.test(host) || host.split(".").every((label) => DOMAIN_COMPONENT.test(label));
  if (!hostOk) throw new ImageReferenceError(`the registry host "${host}" is not a host name`);
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65_535)) {
    throw new ImageReferenceError(`the registry port "${port}" is not a port number`);
  }
}

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) {
    throw new ImageReferenceError(
      `the digest "${digest.slice(0, 80)}" is not <algorithm>:<hex> (such as sha256: and 64 hex digits)`,
    );
  }
  const [algorithm = "", hex = ""] = digest.split(":");
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined)
    throw new ImageReferenceError(`the digest algorithm "${algorithm}" is not supported`);
  if (hex.length !== expected || hex !== hex.toLowerCase()) {
    throw new ImageReferenceError(`a ${algorithm} digest is ${expected} lower-case hex digits`);
  }
}

/** Reads an image reference; throws ImageReferenceError saying which part is wrong. */
export function parseImageReference(raw: string): ImageReference {
  if (raw.length === 0) throw new ImageReferenceError("it is empty");
  if (raw.length > REFERENCE_MAX) {
    throw new ImageReferenceError(`it is ${raw.length} characters long, longer than any image reference`);
  }
  const at = raw.indexOf("@");
  const digest = at < 0 ? undefined : raw.slice(at + 1);
  const withoutDigest = at < 0 ? raw : raw.slice(0, at);
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const tag = colon > lastSlash ? withoutDigest.slice(colon + 1) : undefined;
  const name = tag === undefined ? withoutDigest : withoutDigest.slice(0, colon);
  if (name.length === 0) throw new ImageReferenceError("it names no repository");
  if (name.length > NAME_MAX) {
    throw new ImageReferenceError(`the repository name is ${name.length} characters, more than ${NAME_MAX}`);
  }
  const components = name.split("/");
  const domain =
    components.length > 1 && isDomain(components[0] as string) ? (components.shift() as string) : undefined;
  if (domain !== undefined) checkDomain(domain);
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      throw new ImageReferenceError(
        component === ""
          ? 'the repository path has an empty component (a doubled or trailing "/")'
          : `the repository path component "${component.slice(0, 80)}" is not lower-case letters and digits joined by ".", "_" or "-"`,
      );
    }
  }
  if (tag !== undefined && !TAG_PATTERN.test(tag)) {
    throw new ImageReferenceError(
      `the tag "${tag.slice(0, 80)}" is not 1 to 128 letters, digits, "_", "." and "-" (not starting with "." or "-")`,
    );
  }
  if (digest !== undefined) checkDigest(digest);
  return { domain, path: components.join("/"), tag, digest };
}

/** The input check for an image reference: a digest required (`<repository>@sha256:...`), or optional. */
export function imageReferenceCheck(options: { digest?: "required" | "optional" } = {}): ValueCheck {
  return (value) => {
    let reference: ImageReference;
    try {
      reference = parseImageReference(value);
    } catch (error) {
      if (!(error instanceof ImageReferenceError)) throw error;
      throw new InvalidValue(
        `${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)} is not an image reference: ${error.message}.`,
        "Write `<registry>/<repository>:<tag>` or `<registry>/<repository>@sha256:<64 hex digits>` (build-push's `image` output).",
      );
    }
    if (options.digest === "required" && reference.digest === undefined) {
      throw new InvalidValue(
        `${JSON.stringify(value)} names no digest.`,
        "Give the image pinned by digest, as build-push outputs it: <repository>@sha256:<digest>.",
      );
    }
  };
}

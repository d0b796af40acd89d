// S3 objects, as far as ECS's task start reads them: the `.env` files containers name in
// environmentFiles. Objects are seeded by the scenario or the control API; the S3 API itself (REST
// with XML) is not modeled.
import { SimError } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";

export interface S3Scenario {
  objects?: { bucket: string; key: string; body: string }[];
}

/** What tests see of the simulated S3 (`sim.s3`). */
export interface S3Surface {
  /** Stores an object; returns its ARN. */
  putObject(bucket: string, key: string, body: string): string;
  /** Object ARNs, sorted. */
  objects(): string[];
}

export class S3Service implements SimService {
  readonly definition = {
    name: "s3",
    signingName: "s3",
    iamPrefix: "s3",
    protocol: "query",
    queryVersion: "2006-03-01",
    xmlNamespace: "http://s3.amazonaws.com/doc/2006-03-01/",
  } as const;
  readonly operations = {};
  #objects = new Map<string, string>();

  readonly surface: S3Surface = {
    putObject: (bucket, key, body) => this.putObject(bucket, key, body),
    objects: () => [...this.#objects.keys()].sort(),
  };

  readonly controlRoutes = {
    "put-object": (body: Shape) => ({
      arn: this.putObject(String(body.bucket ?? ""), String(body.key ?? ""), String(body.body ?? "")),
    }),
  };

  constructor(readonly runtime: SimRuntime) {}

  reset(): void {
    this.#objects.clear();
  }

  load(section: unknown): void {
    for (const o of (section as S3Scenario | undefined)?.objects ?? [])
      this.putObject(o.bucket, o.key, o.body);
  }

  putObject(bucket: string, key: string, body: string): string {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || key === "")
      throw new SimError("InvalidBucketName", "The specified bucket is not valid.");
    const arn = `arn:aws:s3:::${bucket}/${key}`;
    this.#objects.set(arn, body);
    return arn;
  }

  /** The object's body, or undefined when there is none. */
  getObject(arn: string): string | undefined {
    return this.#objects.get(arn);
  }

  snapshot(): unknown {
    return { objects: this.surface.objects() };
  }
}

export const s3Service = (runtime: SimRuntime): S3Service => new S3Service(runtime);

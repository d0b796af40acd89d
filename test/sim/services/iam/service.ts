// IAM as far as ECS's task start needs it: which actions a role may take on which resources, so the
// simulator can decide whether a task's execution role may read a secret, a parameter, a KMS key or
// an environment file. Permissions are seeded by the scenario or the control API; the IAM API itself
// is not modeled (no operations).
import { SimError } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";

/** One Allow statement: IAM's `*` and `?` wildcards in actions (case-insensitive) and resources. */
export interface AllowStatement {
  actions: string[];
  resources: string[];
}

export interface IamScenario {
  roles?: { arn: string; allow?: AllowStatement[] }[];
}

/** What tests see of the simulated IAM (`sim.iam`). */
export interface IamSurface {
  /** Grants the role the actions on the resources (creating the role). */
  allow(roleArn: string, statement: AllowStatement): void;
  /** Every role and its statements. */
  roles(): { arn: string; allow: AllowStatement[] }[];
  /** Whether the role may take the action on the resource. */
  isAllowed(roleArn: string, action: string, resource: string): boolean;
}

function wildcard(pattern: string, flags = ""): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, flags);
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

export class IamService implements SimService {
  readonly definition = {
    name: "iam",
    signingName: "iam",
    iamPrefix: "iam",
    protocol: "query",
    queryVersion: "2010-05-08",
    xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
  } as const;
  readonly operations = {};
  #roles = new Map<string, AllowStatement[]>();

  readonly surface: IamSurface = {
    allow: (roleArn, statement) => this.allow(roleArn, statement),
    roles: () => [...this.#roles].map(([arn, allow]) => ({ arn, allow: structuredClone(allow) })),
    isAllowed: (roleArn, action, resource) => this.isAllowed(roleArn, action, resource),
  };

  readonly controlRoutes = {
    allow: (body: Shape) => {
      this.allow(String(body.roleArn ?? ""), {
        actions: (body.actions as string[] | undefined) ?? [],
        resources: (body.resources as string[] | undefined) ?? [],
      });
      return { roles: this.surface.roles() };
    },
  };

  constructor(readonly runtime: SimRuntime) {}

  reset(): void {
    this.#roles.clear();
  }

  load(section: unknown): void {
    for (const role of (section as IamScenario | undefined)?.roles ?? []) {
      if (!this.#roles.has(role.arn)) this.#roles.set(role.arn, []);
      for (const statement of role.allow ?? []) this.allow(role.arn, statement);
    }
  }

  allow(roleArn: string, statement: AllowStatement): void {
    if (!ROLE_ARN.test(roleArn)) throw new SimError("InvalidInput", `${roleArn} is not a role ARN.`);
    if (statement.actions.length === 0 || statement.resources.length === 0)
      throw new SimError("InvalidInput", "A statement needs actions and resources.");
    const statements = this.#roles.get(roleArn) ?? [];
    statements.push({ actions: [...statement.actions], resources: [...statement.resources] });
    this.#roles.set(roleArn, statements);
  }

  isAllowed(roleArn: string, action: string, resource: string): boolean {
    return (this.#roles.get(roleArn) ?? []).some(
      (s) =>
        s.actions.some((a) => wildcard(a, "i").test(action)) &&
        s.resources.some((r) => wildcard(r).test(resource)),
    );
  }

  snapshot(): unknown {
    return { roles: this.surface.roles() };
  }
}

export const iamService = (runtime: SimRuntime): IamService => new IamService(runtime);

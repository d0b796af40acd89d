// RDS (query protocol): DB instances and Aurora clusters that take manual snapshots, which go
// creating -> available (or failed) over simulated time while the database reports backing-up.
import { SimError } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";
import { XmlList } from "../../framework/wire";

const NAMESPACE = "http://rds.amazonaws.com/doc/2014-10-31/";
/** How long a manual snapshot takes unless the scenario says otherwise (an estimate for a small DB). */
const DEFAULT_SNAPSHOT_MS = 4 * 60_000;

type Kind = "instance" | "cluster";

interface Database {
  kind: Kind;
  id: string;
  engine: string;
  status: string;
  snapshotMs: number;
  /** Snapshots of this database end in "failed" (scenario). */
  failSnapshots: boolean;
}

interface Snapshot {
  kind: Kind;
  id: string;
  arn: string;
  database: string;
  engine: string;
  status: "creating" | "available" | "failed";
  createdAt: number;
  doneAt: number;
  tags: { Key: string; Value: string }[];
}

/** Scenario section `rds`. */
export interface RdsScenario {
  instances?: {
    id: string;
    engine?: string;
    status?: string;
    snapshotMs?: number;
    failSnapshots?: boolean;
  }[];
  clusters?: { id: string; engine?: string; status?: string; snapshotMs?: number; failSnapshots?: boolean }[];
}

/** A manual snapshot as the inspection surface shows it. */
export interface DbSnapshotState {
  readonly id: string;
  readonly database: string;
  readonly status: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** What tests and the demo see of the simulated RDS (`sim.rds`). */
export interface RdsSurface {
  /** Manual snapshots, oldest first: of DB instances, of clusters, or both. */
  snapshots(kind?: "instance" | "cluster"): DbSnapshotState[];
}

const SNAPSHOT_ID = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)$/;

/** The wire codes the SDK maps to its exceptions (instance faults drop "Fault", cluster ones keep it). */
const CODES = {
  instance: {
    notFound: "DBInstanceNotFound",
    invalidState: "InvalidDBInstanceState",
    snapshotExists: "DBSnapshotAlreadyExists",
    snapshotNotFound: "DBSnapshotNotFound",
  },
  cluster: {
    notFound: "DBClusterNotFoundFault",
    invalidState: "InvalidDBClusterStateFault",
    snapshotExists: "DBClusterSnapshotAlreadyExistsFault",
    snapshotNotFound: "DBClusterSnapshotNotFoundFault",
  },
} as const;

function text(input: Shape, key: string, required: true): string;
function text(input: Shape, key: string, required?: false): string | undefined;
function text(input: Shape, key: string, required = false): string | undefined {
  const value = input[key];
  if (typeof value === "string" && value !== "") return value;
  if (required)
    throw new SimError(
      "InvalidParameterValue",
      `The parameter ${key} must be provided and must not be blank.`,
    );
  return undefined;
}

export class RdsService implements SimService {
  readonly definition = {
    name: "rds",
    signingName: "rds",
    iamPrefix: "rds",
    protocol: "query",
    queryVersion: "2014-10-31",
    xmlNamespace: NAMESPACE,
    serverErrorCode: "InternalFailure",
  } as const;
  #databases = new Map<string, Database>();
  #snapshots = new Map<string, Snapshot>();

  /** The state tests and the demo read (`sim.rds`). */
  readonly surface: RdsSurface = { snapshots: (kind) => this.snapshots(kind) };

  constructor(private readonly runtime: SimRuntime) {}

  reset(): void {
    this.#databases.clear();
    this.#snapshots.clear();
  }

  load(section: unknown): void {
    const scenario = section as RdsScenario;
    for (const db of scenario.instances ?? []) this.addDatabase("instance", db);
    for (const db of scenario.clusters ?? []) this.addDatabase("cluster", db);
  }

  addDatabase(
    kind: Kind,
    spec: { id: string; engine?: string; status?: string; snapshotMs?: number; failSnapshots?: boolean },
  ): void {
    this.#databases.set(`${kind}/${spec.id}`, {
      kind,
      id: spec.id,
      engine: spec.engine ?? (kind === "cluster" ? "aurora-postgresql" : "postgres"),
      status: spec.status ?? "available",
      snapshotMs: spec.snapshotMs ?? DEFAULT_SNAPSHOT_MS,
      failSnapshots: spec.failSnapshots ?? false,
    });
  }

  /** Snapshots by kind. */
  snapshots(kind?: Kind): DbSnapshotState[] {
    return [...this.#snapshots.values()]
      .filter((s) => !kind || s.kind === kind)
      .map((s) =>
        Object.freeze({
          id: s.id,
          database: s.database,
          status: s.status,
          tags: Object.freeze(Object.fromEntries(s.tags.map((t) => [t.Key, t.Value]))),
        }),
      );
  }

  snapshot(): unknown {
    return {
      databases: [...this.#databases.values()],
      snapshots: [...this.#snapshots.values()],
    };
  }

  #create(kind: Kind, input: Shape): Snapshot {
    const codes = CODES[kind];
    const id = text(
      input,
      kind === "instance" ? "DBSnapshotIdentifier" : "DBClusterSnapshotIdentifier",
      true,
    );
    const databaseId = text(
      input,
      kind === "instance" ? "DBInstanceIdentifier" : "DBClusterIdentifier",
      true,
    );
    if (!SNAPSHOT_ID.test(id)) {
      throw new SimError(
        "InvalidParameterValue",
        `The parameter ${kind === "instance" ? "DBSnapshotIdentifier" : "DBClusterSnapshotIdentifier"} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
      );
    }
    if (this.#snapshots.has(`${kind}/${id}`)) {
      throw new SimError(
        codes.snapshotExists,
        `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
      );
    }
    const database = this.#databases.get(`${kind}/${databaseId}`);
    if (!database) {
      throw new SimError(
        codes.notFound,
        `${kind === "instance" ? "DBInstance" : "DBCluster"} ${databaseId} not found.`,
        404,
      );
    }
    if (database.status !== "available") {
      throw new SimError(
        codes.invalidState,
        `Cannot create a snapshot because the database ${databaseId} is not currently in the available state (it is ${database.status}).`,
      );
    }
    const now = this.runtime.now();
    const resource = kind === "instance" ? "snapshot" : "cluster-snapshot";
    const snapshot: Snapshot = {
      kind,
      id,
      arn: `arn:aws:rds:${this.runtime.region}:${this.runtime.accountId}:${resource}:${id}`,
      database: databaseId,
      engine: database.engine,
      status: "creating",
      createdAt: now,
      doneAt: now + database.snapshotMs,
      tags: ((input.Tags as Shape[] | undefined) ?? []).map((t) => ({
        Key: String(t.Key ?? ""),
        Value: String(t.Value ?? ""),
      })),
    };
    this.#snapshots.set(`${kind}/${id}`, snapshot);
    database.status = "backing-up";
    this.runtime.scheduler.after(database.snapshotMs, `rds: snapshot ${id} done`, () => {
      snapshot.status = database.failSnapshots ? "failed" : "available";
      if (database.status === "backing-up") database.status = "available";
    });
    return snapshot;
  }

  #percent(snapshot: Snapshot): number {
    if (snapshot.status !== "creating") return snapshot.status === "available" ? 100 : 0;
    const span = Math.max(1, snapshot.doneAt - snapshot.createdAt);
    return Math.min(99, Math.floor(((this.runtime.now() - snapshot.createdAt) / span) * 100));
  }

  #instanceShape(s: Snapshot): Shape {
    return {
      DBSnapshotIdentifier: s.id,
      DBInstanceIdentifier: s.database,
      DBSnapshotArn: s.arn,
      SnapshotCreateTime: new Date(s.createdAt),
      Engine: s.engine,
      Status: s.status,
      PercentProgress: this.#percent(s),
      SnapshotType: "manual",
      TagList: new XmlList("Tag", s.tags),
    };
  }

  #clusterShape(s: Snapshot): Shape {
    return {
      DBClusterSnapshotIdentifier: s.id,
      DBClusterIdentifier: s.database,
      DBClusterSnapshotArn: s.arn,
      SnapshotCreateTime: new Date(s.createdAt),
      Engine: s.engine,
      Status: s.status,
      PercentProgress: this.#percent(s),
      SnapshotType: "manual",
      TagList: new XmlList("Tag", s.tags),
    };
  }

  #describe(kind: Kind, input: Shape): Snapshot[] {
    const id = text(input, kind === "instance" ? "DBSnapshotIdentifier" : "DBClusterSnapshotIdentifier");
    const database = text(input, kind === "instance" ? "DBInstanceIdentifier" : "DBClusterIdentifier");
    if (id) {
      const found = this.#snapshots.get(`${kind}/${id}`);
      if (!found)
        throw new SimError(
          CODES[kind].snapshotNotFound,
          `${kind === "instance" ? "DBSnapshot" : "DBClusterSnapshot"} ${id} not found.`,
          404,
        );
      return [found];
    }
    return [...this.#snapshots.values()].filter(
      (s) => s.kind === kind && (!database || s.database === database),
    );
  }

  readonly operations = {
    CreateDBSnapshot: (input: Shape) => ({
      DBSnapshot: this.#instanceShape(this.#create("instance", input)),
    }),
    CreateDBClusterSnapshot: (input: Shape) => ({
      DBClusterSnapshot: this.#clusterShape(this.#create("cluster", input)),
    }),
    DescribeDBSnapshots: (input: Shape) => ({
      DBSnapshots: new XmlList(
        "DBSnapshot",
        this.#describe("instance", input).map((s) => this.#instanceShape(s)),
      ),
    }),
    DescribeDBClusterSnapshots: (input: Shape) => ({
      DBClusterSnapshots: new XmlList(
        "DBClusterSnapshot",
        this.#describe("cluster", input).map((s) => this.#clusterShape(s)),
      ),
    }),
    DescribeDBInstances: (input: Shape) => {
      const id = text(input, "DBInstanceIdentifier");
      const instances = [...this.#databases.values()].filter(
        (d) => d.kind === "instance" && (!id || d.id === id),
      );
      if (id && instances.length === 0)
        throw new SimError(CODES.instance.notFound, `DBInstance ${id} not found.`, 404);
      return {
        DBInstances: new XmlList(
          "DBInstance",
          instances.map((d) => ({
            DBInstanceIdentifier: d.id,
            Engine: d.engine,
            DBInstanceStatus: d.status,
          })),
        ),
      };
    },
  };
}

export const rdsService = (runtime: SimRuntime): RdsService => new RdsService(runtime);

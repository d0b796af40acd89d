// ECS clusters: CreateCluster / DescribeClusters / ListClusters and the Cluster shape.
import { invalidParameter, objectList, optionalString, stringList } from "../../framework/errors";
import type { EcsCore } from "./core";
import type { ClusterRecord, Shape } from "./model";
import { paginate, readTags } from "./task-definitions";

export class Clusters {
  constructor(private readonly core: EcsCore) {}

  shape(cluster: ClusterRecord, include: readonly string[]): Shape {
    const tasks = [...this.core.tasks.values()].filter((t) => t.cluster === cluster);
    const services = [...this.core.services.values()].filter(
      (s) => s.cluster === cluster && s.status === "ACTIVE",
    );
    return {
      clusterArn: cluster.arn,
      clusterName: cluster.name,
      status: cluster.status,
      registeredContainerInstancesCount: cluster.containerInstances,
      runningTasksCount: tasks.filter((t) => t.lastStatus === "RUNNING").length,
      pendingTasksCount: tasks.filter((t) => ["PROVISIONING", "PENDING", "ACTIVATING"].includes(t.lastStatus))
        .length,
      activeServicesCount: services.length,
      statistics: [],
      ...(include.includes("TAGS") ? { tags: cluster.tags } : {}),
      ...(include.includes("SETTINGS") ? { settings: cluster.settings } : {}),
      capacityProviders: cluster.capacityProviders,
      defaultCapacityProviderStrategy: cluster.defaultCapacityProviderStrategy,
    };
  }

  readonly operations = {
    CreateCluster: (input: Shape) => {
      const name = optionalString(input, "clusterName") ?? "default";
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) throw invalidParameter("clusterName is invalid.");
      const existing = this.core.clusters.get(name);
      const cluster =
        existing && existing.status === "ACTIVE"
          ? existing
          : this.core.addCluster(name, {
              tags: readTags(input),
              capacityProviders: stringList(input, "capacityProviders"),
              defaultCapacityProviderStrategy: objectList(input, "defaultCapacityProviderStrategy"),
              settings: objectList(input, "settings"),
            });
      return { cluster: this.shape(cluster, []) };
    },
    DescribeClusters: (input: Shape) => {
      const refs = stringList(input, "clusters");
      const include = stringList(input, "include");
      const clusters: Shape[] = [];
      const failures: Shape[] = [];
      for (const ref of refs.length > 0 ? refs : ["default"]) {
        const name = ref.startsWith("arn:") ? (ref.split("/").at(-1) ?? ref) : ref;
        const cluster = this.core.clusters.get(name);
        if (cluster) clusters.push(this.shape(cluster, include));
        else
          failures.push({
            arn: ref.startsWith("arn:") ? ref : this.core.arn(`cluster/${ref}`),
            reason: "MISSING",
          });
      }
      return { clusters, failures };
    },
    ListClusters: (input: Shape) =>
      paginate(
        [...this.core.clusters.values()].filter((c) => c.status === "ACTIVE").map((c) => c.arn),
        input,
        "clusterArns",
      ),
  };
}

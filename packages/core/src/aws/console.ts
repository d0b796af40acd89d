// Links to the AWS console for what a run started, so a person can open it from the summary.
/** The AWS console's host for a region's partition. */
function consoleHost(region: string): string {
  if (region.startsWith("cn-")) return `${region}.console.amazonaws.cn`;
  if (region.startsWith("us-gov-")) return `${region}.console.amazonaws-us-gov.com`;
  return `${region}.console.aws.amazon.com`;
}

/**
 * The CloudWatch console page of one log stream. The console reads the group and stream from the
 * URL fragment encoded twice, with `$` in place of `%` (so `/ecs/web` is `$252Fecs$252Fweb`).
 */
export function logStreamConsoleUrl(region: string, ref: { group: string; stream: string }): string {
  const encode = (text: string) => encodeURIComponent(encodeURIComponent(text)).replace(/%/g, "$");
  return `https://${consoleHost(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${encode(ref.group)}/log-events/${encode(ref.stream)}`;
}

/** The ECS console page of a task. */
export function taskConsoleUrl(region: string, cluster: string, taskArn: string): string {
  const clusterName = cluster.split("/").pop() ?? cluster;
  const taskId = taskArn.split("/").pop() ?? taskArn;
  return `https://${consoleHost(region)}/ecs/v2/clusters/${encodeURIComponent(clusterName)}/tasks/${encodeURIComponent(taskId)}/configuration?region=${region}`;
}

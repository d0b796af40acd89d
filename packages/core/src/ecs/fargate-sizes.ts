// Task cpu and memory as ECS takes them (CPU units and MiB as strings; "1 vCPU" and "2 GB" are also
// accepted by the API), and the combinations Fargate runs.

/** The memory (MiB) one cpu size allows: the values themselves, or from, to, in steps of. */
type MemoryChoice = { values: readonly number[] } | { from: number; to: number; step: number };

/** Fargate's cpu units and the memory each allows. */
const FARGATE_MEMORY: ReadonlyMap<number, MemoryChoice> = new Map<number, MemoryChoice>([
  [256, { values: [512, 1024, 2048] }],
  [512, { from: 1024, to: 4096, step: 1024 }],
  [1024, { from: 2048, to: 8192, step: 1024 }],
  [2048, { from: 4096, to: 16384, step: 1024 }],
  [4096, { from: 8192, to: 30720, step: 1024 }],
  [8192, { from: 16384, to: 61440, step: 4096 }],
  [16384, { from: 32768, to: 122880, step: 8192 }],
]);

/** The memory values (MiB) Fargate allows with the given cpu, or undefined for a cpu it does not run. */
export function fargateMemoryFor(cpu: number): number[] | undefined {
  const range = FARGATE_MEMORY.get(cpu);
  if (!range) return undefined;
  if ("values" in range) return [...range.values];
  const out: number[] = [];
  for (let m = range.from; m <= range.to; m += range.step) out.push(m);
  return out;
}

/** CPU units from "256", "0.25 vCPU" or "1 vcpu"; undefined when it is neither. */
export function cpuUnits(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const match = /^(\d+(?:\.\d+)?)\s*vcpu$/i.exec(text);
  return match ? Math.round(Number(match[1]) * 1024) : undefined;
}

/** MiB from "512", "0.5 GB" or "2gb"; undefined when it is neither. */
export function memoryMiB(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const match = /^(\d+(?:\.\d+)?)\s*gb$/i.exec(text);
  return match ? Math.round(Number(match[1]) * 1024) : undefined;
}

/** Why Fargate refuses cpu and memory, or undefined when it runs them. */
export function fargateSizeProblem(cpu: string | undefined, memory: string | undefined): string | undefined {
  if (cpu === undefined || memory === undefined)
    return "Fargate needs both cpu and memory at the task level.";
  const units = cpuUnits(cpu);
  const mib = memoryMiB(memory);
  if (units === undefined) return `cpu "${cpu}" is neither CPU units (256) nor vCPUs (0.25 vCPU).`;
  if (mib === undefined) return `memory "${memory}" is neither MiB (512) nor GB (0.5 GB).`;
  const allowed = fargateMemoryFor(units);
  if (!allowed)
    return `cpu ${units} is not a Fargate size; Fargate runs ${[...FARGATE_MEMORY.keys()].join(", ")} CPU units.`;
  if (!allowed.includes(mib)) {
    const range = FARGATE_MEMORY.get(units);
    const shown =
      !range || "values" in range
        ? allowed.join(", ")
        : `${range.from} to ${range.to} in steps of ${range.step}`;
    return `memory ${mib} MiB does not go with cpu ${units} on Fargate, which allows ${shown} MiB with it.`;
  }
  return undefined;
}

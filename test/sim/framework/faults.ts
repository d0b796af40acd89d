// Fault injection: rules that make matching calls fail (or slow, or lose their answer) on purpose.

export type FaultKind = "throttle" | "server-error" | "access-denied" | "drop" | "drop-response" | "latency";

export interface FaultRule {
  /** Service name ("ecs"), or any when omitted. */
  service?: string;
  /** Operation name ("UpdateService"), or any when omitted. */
  operation?: string;
  /**
   * drop: the connection is destroyed before the call is handled; drop-response: the call is handled
   * (its effects happen) and then the connection is destroyed, as when an answer is lost on the way back.
   */
  kind: FaultKind;
  /** Probability per matching call (default 1). */
  rate?: number;
  /** Fire at most this many times (default unlimited). */
  count?: number;
  /** For latency: real milliseconds added before the call is handled. */
  latencyMs?: number;
}

const KINDS: readonly FaultKind[] = [
  "throttle",
  "server-error",
  "access-denied",
  "drop",
  "drop-response",
  "latency",
];

/** Checks a rule from a scenario, a test or the control API, so a typo fails loudly instead of never firing. */
export function validFault(rule: unknown): FaultRule {
  const r = rule as Partial<FaultRule> | null;
  if (!r || typeof r !== "object" || !KINDS.includes(r.kind as FaultKind)) {
    throw new Error(`a fault rule needs a kind, one of ${KINDS.join(", ")}: ${JSON.stringify(rule)}`);
  }
  if (r.rate !== undefined && !(typeof r.rate === "number" && r.rate >= 0 && r.rate <= 1))
    throw new Error(`fault rate must be between 0 and 1: ${JSON.stringify(rule)}`);
  if (r.count !== undefined && !(Number.isInteger(r.count) && r.count >= 0))
    throw new Error(`fault count must be a whole number: ${JSON.stringify(rule)}`);
  return { ...(r as FaultRule) };
}

export class FaultBook {
  #rules: FaultRule[] = [];

  /** The rules in force; `count` goes down as they fire. */
  get rules(): readonly Readonly<FaultRule>[] {
    return this.#rules;
  }

  /** Adds rules (copied: the caller's objects are not changed when they fire). */
  add(rules: readonly FaultRule[]): void {
    this.#rules.push(...rules.map(validFault));
  }

  replace(rules: readonly FaultRule[]): void {
    this.#rules = [];
    this.add(rules);
  }

  clear(): void {
    this.#rules = [];
  }

  /** The first rule of that kind that fires for this call (consuming one of its count), if any. */
  fire(service: string, operation: string, kind: FaultKind, random: () => number): FaultRule | undefined {
    for (const rule of this.#rules) {
      if (rule.kind !== kind) continue;
      if (rule.service && rule.service !== service) continue;
      if (rule.operation && rule.operation !== operation) continue;
      if (rule.count !== undefined && rule.count <= 0) continue;
      if (random() >= (rule.rate ?? 1)) continue;
      if (rule.count !== undefined) rule.count--;
      return rule;
    }
    return undefined;
  }
}

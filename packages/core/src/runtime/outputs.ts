// Typed action outputs: each action declares its output names once; values are redacted of secrets
// before they reach the runner (outputs are not masked by the runner).
import type { Secrets } from "./secrets";

export type OutputSpec<N extends string> = readonly N[];

/** Declares an action's outputs; a contract test keeps the list equal to action.yml. */
export function defineOutputs<const N extends string>(names: readonly N[]): OutputSpec<N> {
  return names;
}

export type OutputValue = string | number | boolean | null | object;

/** Strings go out as they are; everything else as compact JSON. */
export function serializeOutput(value: OutputValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export class Outputs<N extends string> {
  readonly #values = new Map<N, string>();

  constructor(
    readonly spec: OutputSpec<N>,
    private readonly sink: (name: string, value: string) => void,
    private readonly secrets: Secrets,
  ) {}

  set(name: N, value: OutputValue): void {
    if (!this.spec.includes(name)) throw new Error(`output ${name} is not declared`);
    const text = this.secrets.redact(serializeOutput(value));
    this.#values.set(name, text);
    this.sink(name, text);
  }

  /** Sets several outputs at once; undefined values are skipped. */
  setAll(values: Partial<Record<N, OutputValue | undefined>>): void {
    for (const name of this.spec) {
      const value = values[name];
      if (value !== undefined) this.set(name, value);
    }
  }

  get(name: N): string | undefined {
    return this.#values.get(name);
  }
}

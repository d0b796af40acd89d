// The shapes the migration lint, the runners and the actions that read the `migrations` output share.

export type Severity = "error" | "warning";
export type RuleLevel = Severity | "off";

/** One problem the lint found in a migration file. Lines are 1-based. */
export interface Finding {
  rule: string;
  severity: Severity;
  line: number;
  column?: number;
  message: string;
  /** What to do instead, from the rule. */
  fix: string;
}

/** One migration file's lint result; the `migrations` output is a list of these. */
export interface MigrationReport {
  /** Workspace-relative path with forward slashes. */
  file: string;
  version: string;
  statements: number;
  destructive: boolean;
  findings: Finding[];
  /** Findings silenced by a `shipline-ignore` comment naming their rule. */
  suppressed: number;
  /** The suppressions that silenced something, with the reason written after the rule ids (only when any). */
  suppressions?: Suppression[];
}

/** A `shipline-ignore` comment that silenced a rule's finding. */
export interface Suppression {
  rule: string;
  /** 1-based line of the comment. */
  line: number;
  /** The text after the rule ids ("" when none was given). */
  reason: string;
}

/** The layouts the discovery recognises without configuration (plus a user glob). */
export type MigrationLayout = "prisma" | "flyway" | "golang-migrate" | "alembic" | "glob";

export interface MigrationFile {
  /** Workspace-relative path with forward slashes (for Alembic, the revision's .py file). */
  file: string;
  /** Absolute path on disk. */
  absolutePath: string;
  layout: MigrationLayout;
  /** Orders the files of one directory; also the key of the sql runner's history. */
  version: string;
  description: string;
  /** The directory the file's set lives in (workspace-relative); one set is run at a time. */
  directory: string;
  /** The undo file for the sql runner's rollback, when the layout has one and it exists. */
  downFile?: string;
  /**
   * True when the layout's own tool runs the whole file as one transaction (Prisma, Flyway,
   * golang-migrate), so a statement that cannot run in a transaction breaks the file.
   */
  wholeFileTransaction: boolean;
  /** The SQL starts inside a transaction the tool opened before it (Alembic's offline output). */
  startsInTransaction?: boolean;
  /** SQL generated for the file instead of its own content (Alembic's offline mode). */
  generatedSql?: string;
}

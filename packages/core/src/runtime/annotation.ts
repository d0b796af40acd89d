// Where an annotation points in the repository: shared by the logger and by user errors that name a
// file and line, so neither has to import the other.
export interface Annotation {
  title?: string;
  /** Repository-relative path of the file the annotation points at. */
  file?: string;
  /** 1-based line. */
  line?: number;
  endLine?: number;
  column?: number;
}

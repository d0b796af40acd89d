// Runs once before the test files: makes sure the actions' runtime (Node 24) is available, so the
// bundle tests never skip for want of it.
import { findNode24 } from "./node";

export default function setup(): void {
  process.env.SHIPLINE_NODE24 = findNode24();
}

// Entry point of the release-notes bundle: nothing imports this file.
import { run } from "@shipline/core/runtime/run";
import { main } from "./main";

await run(main);

// Entry point of the build-push bundle: nothing imports this file.
import { run } from "@shipline/core/run";
import { main } from "./main";

await run(main);

// Steady API traffic to a demo service from a process of its own: the test worker runs several
// bundles at once and reads their output line by line, and traffic sent from it starved when the
// machine was busy (a 2 s soak once counted 2 requests of 120). Loopback only, bounded in time.
//
//   node traffic-sender.mjs <service-url> <requests-per-second> <max-duration-ms>
//
// It prints {"event":"started"} when the first request is out, and on SIGTERM stops, then prints its
// counts ({"event":"stopped","sent":...,"byStatus":{...},"skipped":...}) and exits.
const [serviceUrl, rateText, maxText] = process.argv.slice(2);
const base = new URL(serviceUrl ?? "");
if (base.hostname !== "127.0.0.1" && base.hostname !== "localhost") {
  throw new Error(`traffic is for loopback services only, not ${serviceUrl}`);
}
const rate = Number(rateText);
const maxDurationMs = Number(maxText);
if (!(rate > 0 && rate <= 1000)) throw new Error("requests per second must be in (0, 1000]");
if (!(maxDurationMs > 0)) throw new Error("the maximum duration must be positive");

const PATHS = ["/api/products", "/api/products/A-1"];
const MAX_IN_FLIGHT = 50;
const periodMs = 1000 / rate;
const startedAt = performance.now();
const stats = { sent: 0, skipped: 0, byStatus: {} };
const inFlight = new Set();
let stopped = false;

function count(key) {
  stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
}

function fire() {
  if (inFlight.size >= MAX_IN_FLIGHT) {
    stats.skipped++;
    return;
  }
  const path = PATHS[stats.sent++ % PATHS.length];
  const request = fetch(`${base.origin}${path}`, { signal: AbortSignal.timeout(1_000) })
    .then(async (response) => {
      await response.arrayBuffer();
      count(String(response.status));
    })
    .catch(() => count("error"))
    .finally(() => inFlight.delete(request));
  inFlight.add(request);
}

// Scheduled by elapsed time, not by timer ticks, so the rate holds even when timers run late.
function tick() {
  if (stopped) return;
  const elapsed = performance.now() - startedAt;
  if (elapsed >= maxDurationMs) return;
  const due = Math.floor(elapsed / periodMs) + 1;
  while (stats.sent + stats.skipped < due) fire();
  setTimeout(tick, Math.max(1, Math.min(periodMs, 50)));
}

tick();
console.log(JSON.stringify({ event: "started" }));

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, async () => {
    stopped = true;
    await Promise.race([Promise.all([...inFlight]), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    console.log(JSON.stringify({ event: "stopped", ...stats }));
    process.exit(0);
  });
}

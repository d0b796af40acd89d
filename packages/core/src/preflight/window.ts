// Release windows and freezes: when a production release may go out, read in a named IANA time zone
// (weekdays and hours, such as `Mon-Thu 09:00-16:00`), and the dates it may not (`2026-12-21..2027-01-04
// year-end`). Parsing refuses anything ambiguous; judging is a pure function of the time.

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export type Weekday = (typeof DAYS)[number];

export interface DeployWindow {
  /** The line as written, for the report. */
  text: string;
  days: Weekday[];
  /** Minutes after local midnight; `end` is exclusive. */
  start: number;
  end: number;
}

export interface FreezePeriod {
  text: string;
  /** Local calendar dates, YYYY-MM-DD, both inclusive. */
  from: string;
  to: string;
  reason: string;
}

/** A line that cannot be read; the message says which part and how to write it. */
export class ScheduleError extends Error {}

/** Throws ScheduleError for a name the runtime's time zone database does not know. */
export function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new ScheduleError(`"${zone}" is not an IANA time zone name`);
  }
}

function dayIndex(name: string, line: string): number {
  const index = DAYS.findIndex((d) => d.toLowerCase() === name.toLowerCase());
  if (index < 0) throw new ScheduleError(`"${name}" in "${line}" is not a weekday (Mon, Tue, ... Sun)`);
  return index;
}

function minutesOf(clock: string, line: string, allow24: boolean): number {
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(clock);
  const minutes = match ? Number(match[1]) * 60 + Number(match[2]) : Number.NaN;
  if (!match || minutes > (allow24 ? 1440 : 1439))
    throw new ScheduleError(`"${clock}" in "${line}" is not a time of day (HH:MM, 00:00 to 24:00)`);
  return minutes;
}

/** `Mon-Thu 09:00-16:00`, `Mon,Wed 10:00-12:00`, `Fri 09:00-12:00`. */
export function parseWindow(line: string): DeployWindow {
  const match = /^(\S+)\s+(\d\d:\d\d)-(\d\d:\d\d)$/.exec(line.trim());
  if (!match)
    throw new ScheduleError(`"${line}" is not "<weekdays> <HH:MM>-<HH:MM>", such as "Mon-Thu 09:00-16:00"`);
  const [, dayPart = "", from = "", to = ""] = match;
  const days = new Set<Weekday>();
  for (const piece of dayPart.split(",")) {
    const [first = "", last] = piece.split("-");
    const a = dayIndex(first, line);
    const b = last === undefined ? a : dayIndex(last, line);
    if (b < a) throw new ScheduleError(`"${piece}" in "${line}" runs backwards; write Mon-Fri, not Fri-Mon`);
    for (let i = a; i <= b; i++) days.add(DAYS[i] as Weekday);
  }
  const start = minutesOf(from, line, false);
  const end = minutesOf(to, line, true);
  if (end <= start)
    throw new ScheduleError(`"${line}" ends before it starts; a window that crosses midnight is two lines`);
  return { text: line.trim(), days: DAYS.filter((d) => days.has(d)), start, end };
}

function checkDate(date: string, line: string): void {
  const match = /^(\d{4})-(\d\d)-(\d\d)$/.exec(date);
  const parsed = match ? new Date(`${date}T00:00:00Z`) : undefined;
  if (!match || !parsed || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date)
    throw new ScheduleError(`"${date}" in "${line}" is not a date (YYYY-MM-DD)`);
}

/** `2026-12-21..2027-01-04 year-end`, `2026-12-24`, with an optional reason after the dates. */
export function parseFreeze(line: string): FreezePeriod {
  const match = /^(\S+?)(?:\.\.(\S+))?(?:\s+(.*))?$/.exec(line.trim());
  if (!match)
    throw new ScheduleError(
      `"${line}" is not "<from>..<to> <reason>", such as "2026-12-21..2027-01-04 year-end"`,
    );
  const [, from = "", to = from, reason = ""] = match;
  checkDate(from, line);
  checkDate(to, line);
  if (to < from) throw new ScheduleError(`"${line}" ends before it starts`);
  return { text: line.trim(), from, to, reason: reason.trim() };
}

export interface LocalTime {
  date: string;
  weekday: Weekday;
  minutes: number;
  /** "Mon 2026-12-07 14:05 Europe/Berlin", for the report. */
  text: string;
}

/** The wall-clock time in a zone at an instant. */
export function localTime(at: number, zone: string): LocalTime {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const weekday = parts.weekday as Weekday;
  const hh = Number(parts.hour);
  const mm = Number(parts.minute);
  return {
    date,
    weekday,
    minutes: hh * 60 + mm,
    text: `${weekday} ${date} ${parts.hour}:${parts.minute} ${zone}`,
  };
}

export type WindowJudgement =
  | { open: true; window: DeployWindow | undefined; local: LocalTime }
  | { open: false; why: string; local: LocalTime; freeze?: FreezePeriod };

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** Open when no freeze covers the local date and (when windows are given) one window holds the time. */
export function judgeWindow(
  at: number,
  zone: string,
  windows: readonly DeployWindow[],
  freezes: readonly FreezePeriod[],
): WindowJudgement {
  const local = localTime(at, zone);
  const freeze = freezes.find((f) => f.from <= local.date && local.date <= f.to);
  if (freeze) {
    const span = freeze.from === freeze.to ? freeze.from : `${freeze.from} to ${freeze.to}`;
    return {
      open: false,
      local,
      freeze,
      why: `${local.text} is inside the freeze ${span}${freeze.reason ? ` (${freeze.reason})` : ""}`,
    };
  }
  if (windows.length === 0) return { open: true, window: undefined, local };
  const window = windows.find(
    (w) => w.days.includes(local.weekday) && w.start <= local.minutes && local.minutes < w.end,
  );
  if (window) return { open: true, window, local };
  return {
    open: false,
    local,
    why: `${local.text} is outside the deploy windows (${windows.map((w) => `${w.days.join(",")} ${hhmm(w.start)}-${hhmm(w.end)}`).join("; ")})`,
  };
}

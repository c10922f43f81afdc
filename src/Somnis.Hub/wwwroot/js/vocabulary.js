// The dashboard's one vocabulary: how priorities, alarm states, sleeper states, availability, the Architect and
// delivery are named and drawn on every page. Every state is an icon and words, never colour alone (colours live in
// app.css, keyed by the same names). Rules the hub decides (which alarm sounds, its rank) come with the alarm itself
// (`sounding`, `annunciated`, `rank`: docs/alarms.md); this module only says how to show them.

/** IEC 60601-1-8 priorities: the icon is the number of triangles, so the priority reads without colour. */
export const PRIORITIES = {
  high: { icon: "▲▲▲", label: "High" },
  medium: { icon: "▲▲", label: "Medium" },
  low: { icon: "▲", label: "Low" },
};

export const priorityIcon = (priority) => PRIORITIES[priority]?.icon ?? "";

/** "active-unacknowledged" -> "active unacknowledged": alarm states, types and audit actions as words. */
export const words = (name) => String(name ?? "").replaceAll("-", " ");

/** Short names of alarm types for narrow places (the bed's alarm timeline lanes). */
const SHORT_TYPES = {
  "architect-deprivation": "deprivation", "acute-sleep-loss": "sleep loss", "sustained-arousal": "arousal",
  "facility-incident": "incident", "edge-offline": "offline", "sensor-fault": "sensor", "stale-data": "stale data",
  "data-gap": "data gap", "clock-skew": "clock skew",
};
export const shortType = (type) => SHORT_TYPES[type] ?? type;

/**
 * A bed with the sleeper admitted to it: "bed-01 · Ada Lovelace". The hub says who (`sleeper: { id, name }` on beds,
 * alarms and report rows); null, or a hub that does not say, gives the bed alone.
 */
export const bedWithSleeper = (bed, sleeper) => (sleeper?.name ? `${bed} · ${sleeper.name}` : bed);

/** "▲▲▲ architect deprivation · bed-01 · Ada Lovelace" */
export const alarmLabel = (a) => `${priorityIcon(a.priority)} ${words(a.type)}${a.bed ? " · " + bedWithSleeper(a.bed, a.sleeper) : ""}`;

/** "▲▲▲ architect deprivation (high, technical)" for tables. */
export const alarmWithPriority = (a) => `${priorityIcon(a.priority)} ${words(a.type)} (${a.priority}${a.class === "technical" ? ", technical" : ""})`;

/** Highest rank first (the hub's display order: high 3, medium 2, low 1), then newest first. */
export const byPriority = (x, y) => (y.rank - x.rank) || (y.raisedAt > x.raisedAt ? 1 : -1);

/** The alarm a bed's tile shows: active and neither shelved nor suppressed (grouped alarms too, marked "incident"). */
export const marksTile = (a) => a.active && !a.closed && a.state !== "shelved" && a.state !== "suppressed";

/** Waits for someone: unacknowledged, and neither shelved nor suppressed (the shift handover lists the bed). */
export const awaitsAcknowledgement = (a) => !a.acknowledged && !a.suppressed && !a.shelvedUntil;

/** Acknowledgement in words and icon: the tile's second mark next to the priority. */
export const ackText = (a) => (a.acknowledged ? "✓ acknowledged" : "unacknowledged");

/** Sleeper states from the scorer. */
const SLEEP_STATES = { asleep: "☾ asleep", awake: "☀ awake", "out-of-bed": "⇱ out of bed", unknown: "? unknown" };
export const sleepText = (state) => SLEEP_STATES[state] ?? state;

/** Is the bed's data live? online (● Live), stale (⚠ No data) or offline (⛔ Offline). */
export const availabilityOf = (bed) => (!bed.online ? "offline" : bed.stale ? "stale" : "online");
export const AVAILABILITY = { online: "● Live", stale: "⚠ No data", offline: "⛔ Offline" };

/** The Architect: paused by the interlock, stimulating, or idle. */
export const architectOf = (bed) => (bed.interlockEngaged ? "paused" : bed.architectStimulating ? "stimulating" : "idle");
export const ARCHITECT = { paused: "⏸ paused", stimulating: "✦ stimulating", idle: "idle" };

/** Sensors reporting a fault, as "name: reason". */
export const faultySensors = (bed) => (bed.sensors || []).filter((s) => !s.healthy).map((s) => `${s.name}: ${s.reason}`);

/** Delivery (docs/operations.md, "Delivery"): is everything the bed measured here? complete, delayed or incomplete. */
export function deliveryOf(bed) {
  const d = bed.delivery;
  if (!d) return "unknown";
  return d.lost > 0 ? "incomplete" : d.missing > 0 || d.backlog > 0 ? "delayed" : "complete";
}
export const DELIVERY = { complete: "✓ Data complete", delayed: "⏳ Delayed", incomplete: "⚠ Incomplete", unknown: "–" };

const CLOCK_PROBLEMS = { jump: "clock jumped", unsynchronised: "clock not synchronised" };
/** A bed's clock problem in words, or null: "clock off by 7 s". */
export function clockProblem(clock, num) {
  if (!clock || !clock.problem) return null;
  return clock.problem === "skew" ? `clock off by ${num(clock.skewSeconds)} s` : CLOCK_PROBLEMS[clock.problem] ?? clock.problem;
}

/** Sleepers' programs (docs/study.md): what they do about their Dream Architect. Colours in app.css by [data-program]. */
export const PROGRAMS = {
  architect: { icon: "✦", label: "Architect" },
  companions: { icon: "❀", label: "Companions" },
  none: { icon: "○", label: "No program" },
};
export const programText = (p) => (PROGRAMS[p] ? `${PROGRAMS[p].icon} ${PROGRAMS[p].label}` : p ?? "–");

/** The study's two conditions (docs/study.md, "Definitions"): stimulated at least the threshold, or not at all. */
export const CONDITIONS = { architect: "✦ Architect nights", natural: "☾ Natural nights" };

/**
 * The server's status object (`stitch/status` notifications, `stitch.status` result) and how
 * the editor shows it: the status bar text, its tooltip, the readable report, and the menu
 * behind a click. Pure: no 'vscode' import, so it is unit-tested. Times are shown as the
 * server formatted them (`*_text`); nothing here formats a time.
 */

export interface ReadOnlyStatus {
  on: boolean;
  by?: string | null;
  since?: string | null;
  since_text?: string | null;
  reason?: string | null;
}

export interface QuietStatus {
  on: boolean;
  until?: string | null;
  until_text?: string | null;
  next_start?: string | null;
  next_start_text?: string | null;
  reason?: string | null;
}

export interface FloorStatus {
  value?: number | null;
  from?: string | null;
}

export interface AgentBudget {
  used: number;
  budget: number;
  exhausted: boolean;
}

export interface TrustStatus {
  used?: number | null;
  budget?: number | null;
  exhausted?: boolean;
  on_exhausted?: string | null;
  /** The agent nearest to its own budget (each agent has one). */
  agent?: string | null;
  agents?: Record<string, AgentBudget>;
  team?: { used: number; cap: number; exhausted: boolean } | null;
  /** As every door says it: "unsourced: 3 of 4 used (claude-code)". */
  text?: string | null;
}

export interface IrreversibleStatus {
  requires?: string;
  from?: string;
  allows?: string;
}

export interface DraftCounts {
  pending?: number;
  actionable?: number;
  parked?: number;
  blocked?: number;
  stale?: number;
  invalid?: number;
  /** Applied in the editor, accepted once saved. */
  unsaved?: number;
}

export interface ConfigStatus {
  ok?: boolean;
  problems?: string[];
  notes?: string[];
}

export interface StitchPointCounts {
  open?: number;
  signed?: number;
  conflicts?: number;
}

export interface StreamsStatus {
  features?: Record<string, string[]>;
  over_cap?: Record<string, string[]>;
  cap?: number | null;
  /** Streams with uncommitted work in their worktrees (live streams). */
  live?: string[];
}

export interface PromptCounts {
  pending?: number;
}

export interface StitchStatus {
  read_only?: ReadOnlyStatus;
  quiet?: QuietStatus;
  floor?: FloorStatus;
  trust?: TrustStatus;
  irreversible?: IrreversibleStatus;
  drafts?: DraftCounts;
  prompts?: PromptCounts;
  config?: ConfigStatus;
  streams?: StreamsStatus;
  stitch_points?: StitchPointCounts;
}

export type Severity = "normal" | "warning" | "error";

export interface StatusBarView {
  text: string;
  tooltip: string;
  severity: Severity;
}

/** Narrow an untyped notification payload; anything that is not an object is no status. */
export function asStatus(value: unknown): StitchStatus | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * An instant as the server wrote it for people (`*_text`: `core/timefmt.py`, in the
 * workspace's zone, zone named), so it reads the same here as in the CLI, Neovim and the
 * server's messages. A server too old to send it: its ISO form, as it came.
 */
export function shownTime(text: string | null | undefined, iso: string | null | undefined): string | undefined {
  return text || iso || undefined;
}

/** The status bar item: one mode (read-only, quiet, or drafts) then what needs attention. */
export function statusBarView(status: StitchStatus): StatusBarView {
  const drafts = status.drafts ?? {};
  const trust = status.trust ?? {};
  let severity: Severity = "normal";
  let text: string;
  if (status.read_only?.on) {
    text = "$(circle-slash) Stitch: read-only";
    severity = "warning";
  } else if (status.quiet?.on) {
    const until = shownTime(status.quiet.until_text, status.quiet.until);
    text = until ? `$(bell-slash) Stitch: quiet until ${until}` : "$(bell-slash) Stitch: quiet";
    const queued = drafts.pending ?? 0;
    if (queued > 0) text += ` · ${queued} queued`;
  } else {
    const actionable = drafts.actionable ?? 0;
    text =
      actionable > 0
        ? `$(git-pull-request) Stitch: ${plural(actionable, "draft")}`
        : "$(check) Stitch";
  }
  if (typeof trust.budget === "number" && ((trust.used ?? 0) > 0 || trust.exhausted)) {
    text += ` · $(shield) ${trustText(trust)}`;
    if (trust.exhausted) severity = "warning";
  }
  const unsaved = drafts.unsaved ?? 0;
  if (unsaved > 0) text += ` · $(circle-large-outline) ${unsaved} unsaved`;
  const prompts = status.prompts?.pending ?? 0;
  if (prompts > 0 && !status.quiet?.on) text += ` · $(comment-discussion) ${plural(prompts, "prompt")}`;
  const open = status.stitch_points?.open ?? 0;
  if (open > 0) text += ` · $(git-merge) ${plural(open, "stitch point")}`;
  if (status.config && status.config.ok === false) {
    text += " · $(warning) team file";
    severity = "error";
  }
  return { text, tooltip: describeStatus(status).join("\n"), severity };
}

/** The trust budget as the server says it ("unsourced: 3 of 4 used (claude-code)"); an older
 * server sends no text: its numbers, said the same way. */
export function trustText(trust: TrustStatus): string {
  return trust.text || `unsourced: ${trust.used ?? 0} of ${trust.budget ?? 0} used`;
}

/** The whole status in plain lines, for the tooltip and "Stitch: Show Status". */
export function describeStatus(status: StitchStatus): string[] {
  const lines: string[] = [];
  const ro = status.read_only;
  if (ro?.on) {
    const since = shownTime(ro.since_text, ro.since);
    const who = [ro.by ? `by ${ro.by}` : "", since ? `since ${since}` : ""].filter(Boolean);
    lines.push(
      `Agents are read-only${ro.reason ? `: ${ro.reason}` : ""}${who.length ? ` (${who.join(", ")})` : ""}`,
    );
  } else {
    lines.push("Agents may hand in drafts (read-only is off)");
  }
  const quiet = status.quiet;
  if (quiet?.on) {
    const until = shownTime(quiet.until_text, quiet.until);
    const why = quiet.reason === "focus" ? " (focus session)" : "";
    lines.push(`Quiet hours${why}${until ? ` until ${until}` : ""}: agent drafts and prompts wait`);
  } else {
    const next = shownTime(quiet?.next_start_text, quiet?.next_start);
    lines.push(next ? `Quiet hours: next from ${next}` : "Quiet hours: none scheduled");
  }
  const floor = status.floor;
  if (floor && typeof floor.value === "number") {
    lines.push(`Confidence floor: ${floor.value.toFixed(2)}${floor.from ? ` (${floor.from})` : ""}`);
  }
  const trust = status.trust;
  if (trust && typeof trust.budget === "number") {
    const after = trust.on_exhausted ? `; past it: ${trust.on_exhausted.replace(/_/g, " ")}` : "";
    lines.push(`Trust budget (per agent, per hour of development): ${trustText(trust)}${after}`);
    for (const [agent, b] of Object.entries(trust.agents ?? {})) {
      if (agent !== trust.agent) lines.push(`  ${agent}: ${b.used} of ${b.budget} used${b.exhausted ? " (exhausted)" : ""}`);
    }
  } else if (trust) {
    lines.push(`Trust budget: none set (${trust.used ?? 0} unsourced this hour)`);
  }
  const drafts = status.drafts;
  if (drafts) {
    const kinds = (["actionable", "parked", "blocked", "stale", "invalid"] as const)
      .filter((k) => (drafts[k] ?? 0) > 0)
      .map((k) => `${drafts[k]} ${k}`);
    lines.push(`Drafts: ${drafts.pending ?? 0} pending${kinds.length ? ` (${kinds.join(", ")})` : ""}`);
    if ((drafts.unsaved ?? 0) > 0) {
      lines.push(`Applied, not saved yet: ${drafts.unsaved} (accepted once saved; not kept if undone or closed unsaved)`);
    }
  }
  const irreversible = status.irreversible;
  if (irreversible?.requires) {
    lines.push(`Irreversible drafts need ${irreversible.requires} test evidence (${irreversible.from ?? "team file"})`);
  }
  const prompts = status.prompts?.pending ?? 0;
  if (prompts > 0) lines.push(`Prompts: ${prompts} waiting for your answer ("Stitch: Pending Prompts")`);
  const points = status.stitch_points;
  if (points && ((points.open ?? 0) > 0 || (points.signed ?? 0) > 0)) {
    lines.push(
      `Stitch points: ${points.open ?? 0} open, ${points.signed ?? 0} signed` +
        ((points.conflicts ?? 0) > 0 ? `, ${points.conflicts} conflicting` : ""),
    );
  }
  const overCap = status.streams?.over_cap ?? {};
  for (const [feature, streams] of Object.entries(overCap)) {
    lines.push(
      `Feature ${feature} has ${streams.length} streams (cap ${status.streams?.cap ?? "?"}): ${streams.join(", ")}`,
    );
  }
  const live = status.streams?.live ?? [];
  if (live.length > 0) lines.push(`Uncommitted work in worktrees: ${live.join(", ")}`);
  const config = status.config;
  if (config?.ok === false) {
    lines.push("Team file .stitch/config.toml has problems (the last good policy is in force):");
    for (const problem of config.problems ?? []) lines.push(`  - ${problem}`);
  }
  for (const note of config?.notes ?? []) lines.push(`Note: ${note}`);
  return lines;
}

export interface MenuItem {
  label: string;
  description?: string;
  /** A `stitch.ui.*` command id. */
  command: string;
}

/** What a click on the status bar offers, most relevant first. */
export function menuItems(status: StitchStatus | undefined): MenuItem[] {
  const items: MenuItem[] = [];
  const drafts = status?.drafts;
  if (drafts && (drafts.pending ?? 0) > 0) {
    items.push({
      label: "$(git-pull-request) List drafts",
      description: `${drafts.actionable ?? 0} ready, ${drafts.pending ?? 0} pending`,
      command: "stitch.ui.listDrafts",
    });
  }
  const prompts = status?.prompts?.pending ?? 0;
  if (prompts > 0) {
    items.push({
      label: "$(comment-discussion) Pending prompts",
      description: `${prompts} waiting for your answer`,
      command: "stitch.ui.pendingPrompts",
    });
  }
  if (status?.read_only?.on) {
    items.push({
      label: "$(unlock) Turn read-only off",
      description: status.read_only.reason ?? undefined,
      command: "stitch.ui.toggleReadOnly",
    });
  } else {
    items.push({
      label: "$(circle-slash) Make agents read-only",
      description: "no draft can be applied until a human turns it off",
      command: "stitch.ui.toggleReadOnly",
    });
  }
  if (status?.quiet?.on && status.quiet.reason === "focus") {
    items.push({ label: "$(bell) End focus session", command: "stitch.ui.endFocus" });
  } else if (!status?.quiet?.on) {
    items.push({ label: "$(bell-slash) Start focus session", command: "stitch.ui.startFocus" });
  }
  if (!drafts || (drafts.pending ?? 0) === 0) {
    items.push({ label: "$(git-pull-request) List drafts", command: "stitch.ui.listDrafts" });
  }
  items.push(
    { label: "$(info) Show status", command: "stitch.ui.showStatus" },
    { label: "$(book) Open source log", command: "stitch.ui.openSourceLog" },
    { label: "$(output) Show server output", command: "stitch.ui.showOutput" },
  );
  return items;
}

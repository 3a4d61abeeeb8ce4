/**
 * Drafts as the server lists them (`stitch.listDrafts`, `stitch.showDraft`) and how the
 * pickers show them. Pure (no 'vscode' import). Draft text comes from agents: it is shown
 * as plain text only (quick pick labels and modal details render no Markdown).
 */

export interface DraftSummary {
  id: string;
  title?: string | null;
  stream?: string | null;
  agent?: string | null;
  confidence?: number | null;
  sources?: number | null;
  paths?: string[] | null;
  gate?: string | null;
  reason?: string | null;
  file?: string | null;
}

export interface DraftSource {
  kind?: string;
  ref?: string;
  why?: string;
}

export interface DraftEvidence {
  kind?: string;
  ref?: string;
  status?: string;
  run?: string;
}

export interface DraftDetail extends DraftSummary {
  draft?: {
    created?: string;
    irreversible?: boolean;
    sources?: DraftSource[];
    evidence?: DraftEvidence[];
    edits?: unknown[];
  } | null;
  error?: string | null;
}

export const ACTIONABLE = "actionable";

/** The server's gate ids in words. */
const GATE_WORDS: Record<string, string> = {
  below_floor: "below the floor",
  read_only: "read-only",
  parked: "parked",
  blocked: "blocked",
  stale: "stale",
  invalid: "invalid",
  quiet: "quiet hours",
  unsaved: "waiting to be saved",
};

/** Why a draft cannot be applied, said once: the server's reasons often name the gate. */
export function gateText(gate: string | null | undefined, reason: string | null | undefined): string {
  const word = GATE_WORDS[gate ?? ""] ?? oneLine(gate ?? "unknown");
  if (!reason) return word;
  const said = oneLine(reason);
  const lower = said.toLowerCase();
  const named = lower.startsWith(word.split(" ")[0]) || (gate === "read_only" && lower.includes("read-only"));
  return named ? said : `${word}: ${said}`;
}

export function asDraftList(value: unknown): DraftSummary[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (d): d is DraftSummary =>
      d !== null && typeof d === "object" && typeof (d as DraftSummary).id === "string",
  );
}

/** Control characters and newlines out, length capped: agent text in one tidy line. */
export function oneLine(text: string | number | null | undefined, max = 200): string {
  const flat = String(text ?? "")
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "0.82 · 2 sources · checkout/a/claude-code", as in the code action titles. */
export function provenance(d: DraftSummary): string {
  const bits: string[] = [];
  if (typeof d.confidence === "number") bits.push(d.confidence.toFixed(2));
  const n = d.sources ?? 0;
  bits.push(`${n} ${n === 1 ? "source" : "sources"}`);
  const who = [d.stream, d.agent].filter(Boolean).map(String).join("/");
  if (who) bits.push(who);
  return oneLine(bits.join(" · "));
}

export interface DraftPickItem {
  label: string;
  description: string;
  detail: string;
  id: string;
  actionable: boolean;
}

/** "ready · stream checkout/a · by claude-code": which draft, whose, so that drafts with the
 * same title are told apart. */
export function whoseDraft(d: DraftSummary): string {
  const bits = [oneLine(d.id, 80)];
  if (d.stream) bits.push(`stream ${oneLine(d.stream, 80)}`);
  if (d.agent) bits.push(`by ${oneLine(d.agent, 80)}`);
  return bits.join(" · ");
}

export function draftPickItem(d: DraftSummary): DraftPickItem {
  const actionable = d.gate === ACTIONABLE;
  const icon = actionable ? "$(check)" : "$(circle-slash)";
  const where = d.paths && d.paths.length ? ` — ${d.paths.map((p) => oneLine(p, 80)).join(", ")}` : "";
  const confidence = typeof d.confidence === "number" ? `${d.confidence.toFixed(2)} · ` : "";
  const n = d.sources ?? 0;
  return {
    // Labels render $(icon) syntax; an agent-made title must not inject icons.
    label: `${icon} ${oneLine(d.title ?? d.id).replace(/\$\(/g, "$\u200b(")}`,
    description: whoseDraft(d),
    detail:
      `${confidence}${n} ${n === 1 ? "source" : "sources"} · ` +
      (actionable ? "ready to apply" : gateText(d.gate, d.reason)) +
      where,
    id: d.id,
    actionable,
  };
}

/** Actionable first, then by confidence, highest first. */
export function sortDrafts(drafts: DraftSummary[]): DraftSummary[] {
  return [...drafts].sort((a, b) => {
    const ready = Number(b.gate === ACTIONABLE) - Number(a.gate === ACTIONABLE);
    return ready !== 0 ? ready : (b.confidence ?? 0) - (a.confidence ?? 0);
  });
}

/** The draft in plain lines, for the Apply / Reject dialog. */
export function describeDraft(d: DraftDetail): string[] {
  const lines = [`${oneLine(d.title ?? d.id)} (${oneLine(d.id)})`, provenance(d)];
  if (d.gate && d.gate !== ACTIONABLE) {
    lines.push(`Cannot be applied now — ${gateText(d.gate, d.reason)}`);
  } else if (d.gate === ACTIONABLE) {
    lines.push("Ready to apply.");
  }
  if (d.error) lines.push(`Problem: ${oneLine(d.error)}`);
  const body = d.draft;
  if (body?.irreversible) lines.push("Irreversible.");
  if (d.paths?.length) lines.push(`Files: ${d.paths.map((p) => oneLine(p, 120)).join(", ")}`);
  const sources = body?.sources ?? [];
  lines.push(sources.length ? "Sources:" : "Sources: none (parked for a human)");
  for (const s of sources) {
    lines.push(`  - ${oneLine(s.kind ?? "?", 40)}: ${oneLine(s.ref ?? "", 160)} — ${oneLine(s.why ?? "", 160)}`);
  }
  const evidence = body?.evidence ?? [];
  if (evidence.length) lines.push("Evidence:");
  for (const e of evidence) {
    const run = e.run ? ` (${oneLine(e.run, 60)})` : "";
    lines.push(`  - ${oneLine(e.kind ?? "?", 40)}: ${oneLine(e.ref ?? "", 160)} ${oneLine(e.status ?? "", 40)}${run}`);
  }
  return lines;
}

export const PARKED = "parked";

/** What the Apply / Reject dialog offers for a draft in this gate: a parked draft (no
 * sources) can be vouched for by the engineer, with a note that becomes its human source. */
export function draftChoices(gate: string | null | undefined): ("Apply" | "Vouch…" | "Reject")[] {
  if (gate === ACTIONABLE) return ["Apply", "Reject"];
  if (gate === PARKED) return ["Vouch…", "Reject"];
  return ["Reject"];
}

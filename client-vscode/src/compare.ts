/**
 * Comparing streams at a stitch point: the server's `stitch.compareStreams` answer (each
 * stream's version of the point's file, and the base's), checked, and turned into what the
 * diff views need. Pure (no 'vscode' import). The versions are agent-written text: shown as a
 * read-only document's content, never as Markdown or a command link.
 */

export const STREAM_SCHEME = "stitch-stream";

export interface Side {
  name: string;
  label: string;
  text: string | null;
  line: number | null;
  note: string | null;
}

export interface Comparison {
  stitch_id: string;
  path: string;
  symbol: string;
  uri: string;
  yours: boolean;
  base: Side | null;
  streams: Side[];
}

// C0/C1 controls and bidirectional marks: never in a title or a tab label
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` fit for a title: one line, controls shown as U+FFFD. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, "\ufffd");
}

function asSide(value: unknown): Side | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.name !== "string") return null;
  return {
    name: v.name,
    label: oneLine(typeof v.label === "string" ? v.label : v.name),
    text: typeof v.text === "string" ? v.text : null,
    line: typeof v.line === "number" && Number.isInteger(v.line) && v.line >= 0 ? v.line : null,
    note: typeof v.note === "string" && v.note ? oneLine(v.note) : null,
  };
}

/** The server's answer, checked; undefined when it is not one. */
export function asComparison(value: unknown): Comparison | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.path !== "string" || typeof v.uri !== "string" || !Array.isArray(v.streams)) return undefined;
  const streams = v.streams.map(asSide).filter((s): s is Side => s !== null);
  if (streams.length === 0) return undefined;
  return {
    stitch_id: typeof v.stitch_id === "string" ? v.stitch_id : "",
    path: v.path,
    symbol: typeof v.symbol === "string" ? v.symbol : v.path,
    uri: v.uri,
    yours: v.yours === true,
    base: asSide(v.base),
    streams,
  };
}

export const ALL_STREAMS = "$(split-horizontal) Every stream (one diff each)";

export interface StreamPick {
  label: string;
  description?: string;
  sides: Side[];
}

/** What the quick pick offers: each stream (a version without text says why), then every
 * stream at once when more than one can be shown. */
export function streamPicks(comparison: Comparison): StreamPick[] {
  const picks: StreamPick[] = comparison.streams.map((side) => ({
    label: side.label,
    description: side.text === null ? side.note ?? "not available" : undefined,
    sides: [side],
  }));
  const shown = comparison.streams.filter((s) => s.text !== null);
  if (shown.length > 1) picks.push({ label: ALL_STREAMS, sides: shown });
  return picks;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The diff view's title: "checkout.py (Cart.total): checkout/a ↔ yours". */
export function diffTitle(comparison: Comparison, side: Side): string {
  return oneLine(`${baseName(comparison.path)} (${comparison.symbol}): ${side.label} ↔ yours`);
}

/** The virtual document's path for a stream's version: the file's own path under the
 * stream's name (so the editor picks its language), e.g. "/checkout/a/src/checkout.py". */
export function versionPath(comparison: Comparison, side: Side): string {
  return `/${side.name}/${comparison.path}`;
}

/** Why a picked version is not shown, or undefined when it is. */
export function notShown(side: Side): string | undefined {
  if (side.text !== null) return undefined;
  return `Stitch: ${side.label}'s version is not shown: ${side.note ?? "the server sent no text"}.`;
}

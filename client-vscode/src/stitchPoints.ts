/**
 * Finding the stitch point under the cursor. The server marks each one with a diagnostic
 * whose source is "stitch" and whose code is "stitch-point:<id>". Pure (no 'vscode' import):
 * positions and ranges are plain line/character pairs.
 */

export const POINT_PREFIX = "stitch-point:";

export interface Pos {
  line: number;
  character: number;
}

export interface DiagnosticLike {
  source?: string;
  code?: string | number | { value: string | number };
  range: { start: Pos; end: Pos };
}

function before(a: Pos, b: Pos): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

function codeOf(d: DiagnosticLike): string | undefined {
  const code = typeof d.code === "object" && d.code !== null ? d.code.value : d.code;
  return code === undefined ? undefined : String(code);
}

/** The ids of the stitch points whose range holds `at` (a point's whole line counts). */
export function stitchPointsAt(diagnostics: readonly DiagnosticLike[], at: Pos): string[] {
  const ids: string[] = [];
  for (const d of diagnostics) {
    const code = codeOf(d);
    if (d.source !== "stitch" || !code?.startsWith(POINT_PREFIX)) continue;
    const lineWise =
      at.line >= d.range.start.line && at.line <= d.range.end.line;
    const inside = before(d.range.start, at) && before(at, d.range.end);
    if (inside || lineWise) {
      const id = code.slice(POINT_PREFIX.length);
      if (id && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stitchPointsAt, type DiagnosticLike } from "../src/stitchPoints";

const range = (l1: number, c1: number, l2: number, c2: number) => ({
  start: { line: l1, character: c1 },
  end: { line: l2, character: c2 },
});

describe("stitchPointsAt", () => {
  const diagnostics: DiagnosticLike[] = [
    { source: "stitch", code: "stitch-point:checkout.py::pay", range: range(11, 0, 11, 13) },
    { source: "stitch", code: "ready", range: range(12, 4, 12, 23) },
    { source: "pyright", code: "stitch-point:fake", range: range(12, 0, 12, 5) },
    { source: "stitch", code: { value: "stitch-point:Cart.total" }, range: range(7, 4, 8, 28) },
  ];

  it("finds the point on the cursor's line, from a string or object code", () => {
    assert.deepEqual(stitchPointsAt(diagnostics, { line: 11, character: 30 }), ["checkout.py::pay"]);
    assert.deepEqual(stitchPointsAt(diagnostics, { line: 8, character: 2 }), ["Cart.total"]);
  });

  it("ignores drafts' diagnostics and other sources", () => {
    assert.deepEqual(stitchPointsAt(diagnostics, { line: 12, character: 6 }), []);
    assert.deepEqual(stitchPointsAt([], { line: 0, character: 0 }), []);
  });
});

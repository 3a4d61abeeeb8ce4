import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALL_STREAMS, asComparison, diffTitle, notShown, oneLine, streamPicks, versionPath } from "../src/compare";

const answer = {
  stitch_id: "sp-1",
  path: "src/checkout.py",
  symbol: "Cart.total",
  uri: "file:///ws/src/checkout.py",
  yours: false,
  base: { name: "main", label: "main", text: "base\n", line: 7, note: null },
  streams: [
    { name: "checkout/a", label: "checkout/a", text: "a\n", line: 7, note: null },
    { name: "checkout/b", label: "checkout/b", text: "b\n", line: 8, note: null },
    { name: "checkout/c", label: "checkout/c", text: null, line: null, note: "deleted on checkout/c" },
  ],
};

describe("asComparison", () => {
  it("keeps a well-formed answer", () => {
    const c = asComparison(answer);
    assert.ok(c);
    assert.equal(c.streams.length, 3);
    assert.equal(c.base?.text, "base\n");
    assert.equal(c.streams[2].text, null);
  });

  it("refuses what is not one, and drops malformed sides", () => {
    assert.equal(asComparison(null), undefined);
    assert.equal(asComparison({ path: "x" }), undefined);
    assert.equal(asComparison({ ...answer, streams: [1, "x", null] }), undefined);
    const c = asComparison({ ...answer, streams: [{ name: "s", text: 5, line: -1, note: "" }] });
    assert.deepEqual(c?.streams, [{ name: "s", label: "s", text: null, line: null, note: null }]);
  });

  it("keeps a version's text as it is, controls and all (it is a document, not a title)", () => {
    const text = "x = '\u001b]0;pwned\u0007'\n[run](command:stitch.applyDraft)\n";
    const c = asComparison({ ...answer, streams: [{ name: "s", label: "s", text, line: 0, note: null }] });
    assert.equal(c?.streams[0].text, text);
  });
});

describe("streamPicks", () => {
  it("offers each stream, says why one cannot be shown, and every stream at once", () => {
    const picks = streamPicks(asComparison(answer)!);
    assert.deepEqual(
      picks.map((p) => [p.label, p.description, p.sides.map((s) => s.name)]),
      [
        ["checkout/a", undefined, ["checkout/a"]],
        ["checkout/b", undefined, ["checkout/b"]],
        ["checkout/c", "deleted on checkout/c", ["checkout/c"]],
        [ALL_STREAMS, undefined, ["checkout/a", "checkout/b"]],
      ],
    );
  });

  it("offers one stream alone without the 'every stream' row", () => {
    const one = asComparison({ ...answer, streams: [answer.streams[0]] })!;
    assert.deepEqual(streamPicks(one).map((p) => p.label), ["checkout/a"]);
  });
});

describe("titles and paths", () => {
  const c = asComparison(answer)!;
  it("names the file, the symbol and the stream", () => {
    assert.equal(diffTitle(c, c.streams[0]), "checkout.py (Cart.total): checkout/a ↔ yours");
    assert.equal(versionPath(c, c.streams[1]), "/checkout/b/src/checkout.py");
  });

  it("never puts a control character or a bidi override into a title", () => {
    const hostile = asComparison({ ...answer, symbol: "x\u202e\u001b[2J", streams: [{ name: "s\u0007" }] })!;
    assert.equal(diffTitle(hostile, hostile.streams[0]), "checkout.py (x\ufffd\ufffd[2J): s\ufffd ↔ yours");
    assert.equal(oneLine("a\nb"), "a\ufffdb");
  });

  it("says why a version is not shown", () => {
    assert.equal(notShown(c.streams[0]), undefined);
    assert.equal(notShown(c.streams[2]), "Stitch: checkout/c's version is not shown: deleted on checkout/c.");
  });
});

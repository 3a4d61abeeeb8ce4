import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  asDraftList,
  describeDraft,
  draftChoices,
  draftPickItem,
  gateText,
  oneLine,
  provenance,
  sortDrafts,
} from "../src/drafts";

const ready = {
  id: "ready",
  title: "Round the total",
  stream: "checkout/a",
  agent: "claude-code",
  confidence: 0.82,
  sources: 2,
  paths: ["src/checkout.py"],
  gate: "actionable",
  reason: null,
  file: "/ws/.stitch/drafts/ready.json",
};
const low = { ...ready, id: "low", title: "Low", confidence: 0.51, gate: "below_floor", reason: "0.51 < floor 0.65" };

describe("draft pickers", () => {
  it("annotates like the code action titles", () => {
    assert.equal(provenance(ready), "0.82 · 2 sources · checkout/a/claude-code");
    assert.equal(provenance({ id: "x", sources: 1 }), "1 source");
  });

  it("shows the gate and its reason for drafts that cannot be applied", () => {
    const item = draftPickItem(low);
    assert.equal(item.label, "$(circle-slash) Low");
    // id, stream and agent: two drafts with one title are told apart
    assert.equal(item.description, "low · stream checkout/a · by claude-code");
    assert.equal(item.detail, "0.51 · 2 sources · below the floor: 0.51 < floor 0.65 — src/checkout.py");
    assert.equal(item.actionable, false);
    const good = draftPickItem(ready);
    assert.equal(good.label, "$(check) Round the total");
    assert.equal(good.detail, "0.82 · 2 sources · ready to apply — src/checkout.py");
    assert.equal(draftPickItem({ ...ready, stream: null, agent: "" }).description, "ready");
    assert.equal(good.actionable, true);
  });

  it("keeps agent text on one line and out of the icon syntax", () => {
    const item = draftPickItem({ ...ready, title: "evil\n$(alert) title\u0007" });
    assert.equal(item.label, "$(check) evil $\u200b(alert) title");
    assert.equal(oneLine("x".repeat(300)).length, 200);
  });

  it("lists actionable drafts first, then by confidence", () => {
    const order = sortDrafts([low, { ...low, id: "lower", confidence: 0.3 }, ready]).map((d) => d.id);
    assert.deepEqual(order, ["ready", "low", "lower"]);
  });

  it("says why once, even when the server's reason names the gate", () => {
    assert.equal(gateText("stale", "stale: src/checkout.py: the text it expects is no longer there"),
      "stale: src/checkout.py: the text it expects is no longer there");
    assert.equal(gateText("parked", "parked for a human: the draft cites no sources"),
      "parked for a human: the draft cites no sources");
    assert.equal(gateText("read_only", "agents are read-only: incident, since 10:02, by x"),
      "agents are read-only: incident, since 10:02, by x");
    assert.equal(gateText("blocked", "irreversible without test evidence"), "blocked: irreversible without test evidence");
    assert.equal(gateText("invalid", null), "invalid");
    assert.equal(gateText("something_new", "why"), "something_new: why");
  });

  it("drops entries that are not drafts", () => {
    assert.deepEqual(asDraftList([ready, null, { title: "no id" }, 3]).map((d) => d.id), ["ready"]);
    assert.deepEqual(asDraftList({ not: "a list" }), []);
  });

  it("describes a draft's sources and evidence for the dialog", () => {
    const lines = describeDraft({
      ...ready,
      draft: {
        sources: [{ kind: "doc", ref: "api/openapi.yaml", why: "contract of record" }],
        evidence: [{ kind: "test", ref: "tests/test_checkout.py::test_pay", status: "passed", run: "ci#1" }],
      },
      error: null,
    });
    assert.deepEqual(lines, [
      "Round the total (ready)",
      "0.82 · 2 sources · checkout/a/claude-code",
      "Ready to apply.",
      "Files: src/checkout.py",
      "Sources:",
      "  - doc: api/openapi.yaml — contract of record",
      "Evidence:",
      "  - test: tests/test_checkout.py::test_pay passed (ci#1)",
    ]);
    const parked = describeDraft({ ...low, gate: "parked", reason: "no sources", draft: { sources: [] } });
    assert.ok(parked.includes("Cannot be applied now — parked: no sources"));
    assert.ok(parked.includes("Sources: none (parked for a human)"));
  });
});

describe("draft dialog choices", () => {
  it("offers a vouch only for a parked draft", () => {
    assert.deepEqual(draftChoices("actionable"), ["Apply", "Reject"]);
    assert.deepEqual(draftChoices("parked"), ["Vouch…", "Reject"]);
    assert.deepEqual(draftChoices("below_floor"), ["Reject"]);
    assert.deepEqual(draftChoices(undefined), ["Reject"]);
  });
});

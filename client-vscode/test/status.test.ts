import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  asStatus,
  describeStatus,
  menuItems,
  shownTime,
  statusBarView,
  type StitchStatus,
} from "../src/status";

function status(overrides: Partial<StitchStatus> = {}): StitchStatus {
  return {
    read_only: { on: false, by: null, since: null, reason: null },
    quiet: {
      on: false,
      until: null,
      until_text: null,
      next_start: "2026-11-30T07:30:00Z",
      next_start_text: "2026-11-30 09:30 EET",
      reason: null,
    },
    floor: { value: 0.65, from: "team file" },
    trust: { used: 0, budget: 3, exhausted: false, on_exhausted: "raise_floor" },
    drafts: { pending: 2, actionable: 1, parked: 0, blocked: 0, stale: 0, invalid: 0 },
    config: { ok: true, problems: [], notes: [] },
    ...overrides,
  };
}

describe("shownTime", () => {
  it("shows the server's own words for an instant, never formatting one itself", () => {
    assert.equal(shownTime("2026-11-28 11:30 EET", "2026-11-28T09:30:00Z"), "2026-11-28 11:30 EET");
  });
  it("falls back to the ISO form from an older server, and passes null through", () => {
    assert.equal(shownTime(undefined, "2026-11-28T09:30:00Z"), "2026-11-28T09:30:00Z");
    assert.equal(shownTime(null, null), undefined);
  });
});

describe("statusBarView", () => {
  it("counts ready drafts", () => {
    const view = statusBarView(status());
    assert.equal(view.text, "$(git-pull-request) Stitch: 1 draft");
    assert.equal(view.severity, "normal");
    const four = statusBarView(status({ drafts: { pending: 4, actionable: 4 } }));
    assert.equal(four.text, "$(git-pull-request) Stitch: 4 drafts");
  });

  it("shows a plain check when nothing is ready", () => {
    assert.equal(statusBarView(status({ drafts: { pending: 0, actionable: 0 } })).text, "$(check) Stitch");
  });

  it("puts read-only first, with a warning background", () => {
    const view = statusBarView(
      status({
        read_only: {
          on: true,
          by: "lead@example.com",
          since: "2026-11-28T07:15:00Z",
          since_text: "2026-11-28 09:15 EET",
          reason: "incident",
        },
      }),
    );
    assert.equal(view.text, "$(circle-slash) Stitch: read-only");
    assert.equal(view.severity, "warning");
    assert.match(view.tooltip, /Agents are read-only: incident \(by lead@example.com, since 2026-11-28 09:15 EET\)/);
  });

  it("shows quiet hours until the server's time, with what is queued", () => {
    const quiet = { on: true, until: "2026-11-28T09:30:00Z", until_text: "2026-11-28 11:30 EET", reason: "window" };
    const view = statusBarView(status({ quiet, prompts: { pending: 1 } }));
    assert.equal(view.text, "$(bell-slash) Stitch: quiet until 2026-11-28 11:30 EET · 2 queued");
    assert.match(view.tooltip, /Quiet hours until 2026-11-28 11:30 EET/);
  });

  it("counts prompts waiting for an answer", () => {
    const view = statusBarView(status({ prompts: { pending: 2 } }));
    assert.equal(view.text, "$(git-pull-request) Stitch: 1 draft · $(comment-discussion) 2 prompts");
    assert.match(view.tooltip, /Prompts: 2 waiting for your answer/);
  });

  it("adds the budget once it is used, as the server says it, and warns when it is exhausted", () => {
    const used = statusBarView(
      status({
        trust: { used: 3, budget: 4, exhausted: false, agent: "claude-code", text: "unsourced: 3 of 4 used (claude-code)" },
      }),
    );
    assert.equal(used.text, "$(git-pull-request) Stitch: 1 draft · $(shield) unsourced: 3 of 4 used (claude-code)");
    assert.equal(used.severity, "normal");
    const older = statusBarView(status({ trust: { used: 2, budget: 3, exhausted: false } }));
    assert.equal(older.text, "$(git-pull-request) Stitch: 1 draft · $(shield) unsourced: 2 of 3 used");
    const out = statusBarView(
      status({
        trust: {
          used: 4,
          budget: 3,
          exhausted: true,
          on_exhausted: "raise_floor",
          agent: "claude-code",
          agents: { "claude-code": { used: 4, budget: 3, exhausted: true }, aider: { used: 1, budget: 3, exhausted: false } },
          text: "unsourced: 4 of 3 used (claude-code) — exhausted",
        },
      }),
    );
    assert.equal(out.severity, "warning");
    assert.match(out.tooltip, /unsourced: 4 of 3 used \(claude-code\) — exhausted; past it: raise floor/);
    assert.match(out.tooltip, /\n {2}aider: 1 of 3 used\n/);
  });

  it("counts the drafts applied and not saved yet", () => {
    const view = statusBarView(status({ drafts: { pending: 0, actionable: 0, unsaved: 1 } }));
    assert.equal(view.text, "$(check) Stitch · $(circle-large-outline) 1 unsaved");
    assert.match(view.tooltip, /Applied, not saved yet: 1 \(accepted once saved/);
  });

  it("flags a broken team file and open stitch points", () => {
    const view = statusBarView(
      status({
        config: { ok: false, problems: ["line 3: confidence_floor must be <= 1"], notes: [] },
        stitch_points: { open: 1, signed: 0, conflicts: 1 },
      }),
    );
    assert.equal(view.text, "$(git-pull-request) Stitch: 1 draft · $(git-merge) 1 stitch point · $(warning) team file");
    assert.equal(view.severity, "error");
    assert.match(view.tooltip, /line 3: confidence_floor must be <= 1/);
  });

  it("copes with a minimal status object", () => {
    assert.equal(statusBarView({}).text, "$(check) Stitch");
  });
});

describe("describeStatus", () => {
  it("says everything in plain lines", () => {
    const lines = describeStatus(
      status({ drafts: { pending: 3, actionable: 1, parked: 1, blocked: 0, stale: 1, invalid: 0 } }),
    );
    assert.deepEqual(lines, [
      "Agents may hand in drafts (read-only is off)",
      "Quiet hours: next from 2026-11-30 09:30 EET",
      "Confidence floor: 0.65 (team file)",
      "Trust budget (per agent, per hour of development): unsourced: 0 of 3 used; past it: raise floor",
      "Drafts: 3 pending (1 actionable, 1 parked, 1 stale)",
    ]);
  });

  it("names a focus session and lists notes and streams over the cap", () => {
    const lines = describeStatus(
      status({
        quiet: { on: true, until: "2026-11-28T10:00:00Z", until_text: "2026-11-28 12:00 EET", reason: "focus" },
        config: { ok: true, problems: [], notes: ["stitch.confidenceFloor 0.5 is below the team's 0.65: ignored"] },
        streams: {
          over_cap: { checkout: ["checkout/a", "checkout/b", "checkout/c"] },
          cap: 2,
          live: ["checkout/a", "checkout/c"],
        },
      }),
    );
    assert.ok(lines.includes("Uncommitted work in worktrees: checkout/a, checkout/c"));
    assert.ok(lines.includes("Quiet hours (focus session) until 2026-11-28 12:00 EET: agent drafts and prompts wait"));
    assert.ok(lines.includes("Feature checkout has 3 streams (cap 2): checkout/a, checkout/b, checkout/c"));
    assert.ok(lines.includes("Note: stitch.confidenceFloor 0.5 is below the team's 0.65: ignored"));
  });
});

describe("menuItems", () => {
  const commands = (s: StitchStatus | undefined) => menuItems(s).map((i) => i.command);

  it("offers drafts first when there are some, and read-only on", () => {
    const items = menuItems(status());
    assert.equal(items[0].command, "stitch.ui.listDrafts");
    assert.equal(items[1].label, "$(circle-slash) Make agents read-only");
    assert.ok(commands(status()).includes("stitch.ui.startFocus"));
  });

  it("offers to turn read-only off and to end a focus session", () => {
    const s = status({
      read_only: { on: true, reason: "incident" },
      quiet: { on: true, until: "2026-11-28T10:00:00Z", reason: "focus" },
    });
    const items = menuItems(s);
    assert.ok(items.some((i) => i.label === "$(unlock) Turn read-only off" && i.description === "incident"));
    assert.ok(commands(s).includes("stitch.ui.endFocus"));
    assert.ok(!commands(s).includes("stitch.ui.startFocus"));
  });

  it("offers pending prompts when agents wait for an answer", () => {
    const items = menuItems(status({ prompts: { pending: 1 } }));
    const prompts = items.find((i) => i.command === "stitch.ui.pendingPrompts");
    assert.equal(prompts?.description, "1 waiting for your answer");
    assert.ok(!commands(status()).includes("stitch.ui.pendingPrompts"));
  });

  it("cannot end a team quiet window, only a focus session", () => {
    const s = status({ quiet: { on: true, until: "2026-11-28T10:00:00Z", reason: "window" } });
    assert.ok(!commands(s).includes("stitch.ui.endFocus"));
    assert.ok(!commands(s).includes("stitch.ui.startFocus"));
  });

  it("always offers status, source log and output, and only stitch.ui.* commands", () => {
    for (const s of [undefined, status()]) {
      const ids = commands(s);
      for (const id of ["stitch.ui.showStatus", "stitch.ui.openSourceLog", "stitch.ui.showOutput"]) {
        assert.ok(ids.includes(id));
      }
      assert.ok(ids.every((id) => id.startsWith("stitch.ui.")));
    }
  });
});

describe("asStatus", () => {
  it("accepts objects only", () => {
    assert.deepEqual(asStatus({ drafts: {} }), { drafts: {} });
    for (const bad of [null, undefined, 3, "x", []]) assert.equal(asStatus(bad), undefined);
  });
});

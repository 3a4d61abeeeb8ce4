// The contributed settings and commands in package.json: names, types, defaults and scopes
// the server and Workspace Trust rely on.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

interface Setting {
  type: string | string[];
  default?: unknown;
  scope?: string;
  markdownDescription?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
}

interface Manifest {
  engines: { vscode: string };
  main: string;
  activationEvents: string[];
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  capabilities: {
    untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] };
  };
  contributes: {
    configuration: { properties: Record<string, Setting> };
    commands: { command: string; title: string; category?: string }[];
  };
}

// From the test's bundle (out/test) or its source (test/): package.json is two levels up.
const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as Manifest;
const settings = manifest.contributes.configuration.properties;

/** The server's own command ids, registered by vscode-languageclient. */
const SERVER_COMMANDS = [
  "stitch.applyDraft",
  "stitch.rejectDraft",
  "stitch.showDraft",
  "stitch.listDrafts",
  "stitch.setReadOnly",
  "stitch.focus",
  "stitch.endFocus",
  "stitch.status",
  "stitch.signOff",
  "stitch.pendingPrompts",
  "stitch.compareStreams",
];

describe("package.json settings", () => {
  it("declares every stitch.* setting the server reads, with type, default and scope", () => {
    const expected: Record<string, { type: string | string[]; default: unknown; scope: string }> = {
      "stitch.server.command": { type: "array", default: [], scope: "machine" },
      "stitch.confidenceFloor": { type: ["number", "null"], default: null, scope: "resource" },
      "stitch.trust.unsourcedPerHour": { type: ["integer", "null"], default: null, scope: "resource" },
      "stitch.quietHours.timezone": { type: ["string", "null"], default: null, scope: "machine-overridable" },
      "stitch.quietHours.windows": { type: "array", default: [], scope: "machine-overridable" },
      "stitch.quietHours.removeTeamWindows": { type: "boolean", default: false, scope: "resource" },
    };
    assert.deepEqual(Object.keys(settings).sort(), Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = settings[name];
      assert.deepEqual(got.type, want.type, name);
      assert.deepEqual(got.default, want.default, name);
      assert.equal(got.scope, want.scope, name);
      assert.ok((got.markdownDescription ?? got.description ?? "").length > 20, `${name} is described`);
    }
    assert.equal(settings["stitch.confidenceFloor"].minimum, 0);
    assert.equal(settings["stitch.confidenceFloor"].maximum, 1);
    assert.equal(settings["stitch.trust.unsourcedPerHour"].minimum, 0);
  });

  it("never lets an untrusted workspace choose the server command", () => {
    const trust = manifest.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, "limited");
    assert.deepEqual(trust.restrictedConfigurations, ["stitch.server.command"]);
    assert.equal(settings["stitch.server.command"].scope, "machine");
  });
});

describe("package.json commands", () => {
  it("uses stitch.ui.* ids only, none of the server's", () => {
    const ids = manifest.contributes.commands.map((c) => c.command);
    for (const id of ids) {
      assert.match(id, /^stitch\.ui\.[A-Za-z]+$/);
      assert.ok(!SERVER_COMMANDS.includes(id), id);
    }
    for (const id of [
      "stitch.ui.toggleReadOnly",
      "stitch.ui.startFocus",
      "stitch.ui.endFocus",
      "stitch.ui.listDrafts",
      "stitch.ui.signOffHere",
      "stitch.ui.openSourceLog",
      "stitch.ui.showStatus",
      "stitch.ui.pendingPrompts",
    ]) {
      assert.ok(ids.includes(id), id);
    }
    assert.ok(manifest.contributes.commands.every((c) => c.category === "Stitch"));
  });
});

describe("package.json engine and activation", () => {
  it("targets VS Code 1.100 with matching types and the pinned client library", () => {
    assert.equal(manifest.engines.vscode, "^1.100.0");
    assert.equal(manifest.devDependencies["@types/vscode"], "1.100.0");
    assert.equal(manifest.dependencies["vscode-languageclient"], "9.0.1");
    assert.equal(manifest.main, "./dist/extension.js");
    assert.ok(manifest.activationEvents.includes("workspaceContains:.stitch"));
  });
});

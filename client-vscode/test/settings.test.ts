import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isInside, serverCommandSetting } from "../src/settings";

const user = ["/home/me/venv/bin/python", "-m", "stitch_ls", "serve"];
const evil = ["/tmp/evil.sh"];

describe("serverCommandSetting", () => {
  it("uses VS Code's effective value in a trusted workspace", () => {
    assert.deepEqual(serverCommandSetting({ globalValue: user, defaultValue: [] }, user, true), {
      command: user,
    });
  });

  it("uses only the user's value in an untrusted workspace, whatever the workspace says", () => {
    const inspected = { defaultValue: [], globalValue: user, workspaceValue: evil };
    const result = serverCommandSetting(inspected, evil, false);
    assert.deepEqual(result.command, user);
    assert.match(result.ignored ?? "", /not trusted/);
  });

  it("runs nothing from a folder settings file in an untrusted workspace without a user value", () => {
    const result = serverCommandSetting({ defaultValue: [], workspaceFolderValue: evil }, evil, false);
    assert.equal(result.command, undefined);
    assert.match(result.ignored ?? "", /not trusted/);
  });

  it("treats the default (empty list) and null as not set", () => {
    assert.deepEqual(serverCommandSetting({ defaultValue: [] }, [], true), {});
    assert.deepEqual(serverCommandSetting({ defaultValue: [] }, null, true), {});
    assert.deepEqual(serverCommandSetting(undefined, undefined, false), {});
  });

  it("explains a malformed value instead of running it", () => {
    for (const bad of ["stitch-ls serve", [1, 2], [""], [" "], { command: "x" }]) {
      const result = serverCommandSetting({ globalValue: bad }, bad, true);
      assert.equal(result.command, undefined, JSON.stringify(bad));
      assert.match(result.ignored ?? "", /list of strings/);
    }
  });

  it("returns a copy, not the settings object itself", () => {
    const value = [...user];
    const result = serverCommandSetting({ globalValue: value }, value, true);
    assert.notEqual(result.command, value);
  });
});

describe("isInside", () => {
  it("matches whole path segments only", () => {
    assert.equal(isInside("/ws/.venv/bin/python", ["/ws"]), true);
    assert.equal(isInside("/ws2/bin/python", ["/ws"]), false);
    assert.equal(isInside("/usr/bin/python3", ["/ws", "/other/"]), false);
    assert.equal(isInside("/other/x", ["/ws", "/other/"]), true);
  });

  it("ignores case on Windows", () => {
    assert.equal(isInside("C:\\WS\\.venv\\python.exe", ["c:\\ws"], "\\"), true);
  });
});

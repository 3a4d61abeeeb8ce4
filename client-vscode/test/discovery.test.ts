import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { discoverServer, resolveExecutable, type DiscoveryProbes } from "../src/discovery";

/** Fake probes: a machine with the given files, interpreter and importable interpreters. */
function probes(opts: {
  setting?: string[];
  python?: string;
  pythonThrows?: string;
  importable?: string[];
  files?: string[];
  refusePython?: string;
}): DiscoveryProbes & { calls: string[] } {
  const calls: string[] = [];
  const files = new Set(opts.files ?? []);
  return {
    calls,
    settingCommand: opts.setting,
    pythonInterpreter: () => {
      calls.push("python");
      return opts.pythonThrows ? Promise.reject(new Error(opts.pythonThrows)) : Promise.resolve(opts.python);
    },
    pythonAllowed: () => opts.refusePython,
    canImportStitch: (python) => {
      calls.push(`import:${python}`);
      return Promise.resolve((opts.importable ?? []).includes(python));
    },
    resolveExecutable: (name) => {
      calls.push(`which:${name}`);
      if (name.startsWith("/")) return files.has(name) ? name : undefined;
      const hit = [...files].find((f) => f.endsWith(`/${name}`));
      return hit;
    },
  };
}

describe("discoverServer", () => {
  it("uses the setting first, without asking the Python extension", async () => {
    const p = probes({
      setting: ["/opt/py/bin/python", "-m", "stitch_ls", "serve"],
      files: ["/opt/py/bin/python", "/usr/bin/stitch-ls"],
      python: "/venv/bin/python",
      importable: ["/venv/bin/python"],
    });
    const result = await discoverServer(p);
    assert.deepEqual(result.found, {
      command: "/opt/py/bin/python",
      args: ["-m", "stitch_ls", "serve"],
      source: "setting",
      detail: "stitch.server.command",
    });
    assert.deepEqual(p.calls, ["which:/opt/py/bin/python"]);
  });

  it("resolves a bare executable name in the setting through PATH", async () => {
    const result = await discoverServer(
      probes({ setting: ["stitch-ls", "serve"], files: ["/home/me/.local/bin/stitch-ls"] }),
    );
    assert.equal(result.found?.command, "/home/me/.local/bin/stitch-ls");
    assert.deepEqual(result.found?.args, ["serve"]);
    assert.equal(result.found?.source, "setting");
  });

  it("falls back to the Python extension's interpreter when the setting's executable is missing", async () => {
    const result = await discoverServer(
      probes({
        setting: ["/gone/python", "-m", "stitch_ls", "serve"],
        python: "/venv/bin/python",
        importable: ["/venv/bin/python"],
        files: ["/usr/bin/stitch-ls"],
      }),
    );
    assert.equal(result.found?.source, "python");
    assert.equal(result.found?.command, "/venv/bin/python");
    assert.deepEqual(result.found?.args, ["-I", "-m", "stitch_ls", "serve"]);
    assert.match(result.skipped[0], /\/gone\/python was not found/);
  });

  it("skips an interpreter without stitch_ls and uses stitch-ls on PATH", async () => {
    const p = probes({ python: "/usr/bin/python3", importable: [], files: ["/usr/local/bin/stitch-ls"] });
    const result = await discoverServer(p);
    assert.deepEqual(result.found, {
      command: "/usr/local/bin/stitch-ls",
      args: ["serve"],
      source: "path",
      detail: "/usr/local/bin/stitch-ls on PATH",
    });
    assert.deepEqual(p.calls, ["python", "import:/usr/bin/python3", "which:stitch-ls"]);
    assert.ok(result.skipped.some((s) => s.includes("stitch_ls is not installed")));
  });

  it("never runs an interpreter the trust check refuses", async () => {
    const p = probes({
      python: "/ws/.venv/bin/python",
      importable: ["/ws/.venv/bin/python"],
      refusePython: "it lives inside this untrusted workspace, so it is not run",
    });
    const result = await discoverServer(p);
    assert.equal(result.found, undefined);
    assert.ok(!p.calls.includes("import:/ws/.venv/bin/python"));
    assert.ok(result.skipped.some((s) => s.includes("untrusted")));
  });

  it("survives a Python extension that fails", async () => {
    const result = await discoverServer(probes({ pythonThrows: "boom", files: ["/bin/stitch-ls"] }));
    assert.equal(result.found?.source, "path");
    assert.ok(result.skipped.includes("Python extension: boom"));
  });

  it("reports every candidate it passed over when nothing is found", async () => {
    const result = await discoverServer(probes({}));
    assert.equal(result.found, undefined);
    assert.deepEqual(result.skipped, [
      "stitch.server.command is not set",
      "no interpreter selected in the Python extension (or it is not installed)",
      "stitch-ls is not on PATH",
    ]);
  });
});

describe("resolveExecutable", () => {
  const exists = (files: string[]) => (p: string) => files.includes(p);

  it("searches PATH in order and skips empty entries", () => {
    const found = resolveExecutable(
      "stitch-ls",
      { PATH: "::/a/bin:/b/bin" },
      "linux",
      exists(["/b/bin/stitch-ls", "/c/stitch-ls"]),
    );
    assert.equal(found, "/b/bin/stitch-ls");
  });

  it("treats a name with a slash as a path, relative to cwd", () => {
    assert.equal(resolveExecutable("/x/python", {}, "linux", exists(["/x/python"])), "/x/python");
    assert.equal(
      resolveExecutable(".venv/bin/python", {}, "linux", exists(["/ws/.venv/bin/python"]), "/ws"),
      "/ws/.venv/bin/python",
    );
    assert.equal(resolveExecutable("/nope/python", { PATH: "/x" }, "linux", exists([])), undefined);
  });

  it("tries PATHEXT on Windows", () => {
    const found = resolveExecutable(
      "stitch-ls",
      { PATH: "C:\\py\\Scripts", PATHEXT: ".COM;.EXE" },
      "win32",
      exists(["C:\\py\\Scripts\\stitch-ls.exe"]),
    );
    assert.equal(found, "C:\\py\\Scripts\\stitch-ls.exe");
  });
});

// Bundles the extension (dist/extension.js, 'vscode' external) and, with --tests, each unit
// test (out/test/*.test.js) for node's built-in test runner.
// Flags: --production (minified, no source maps), --tests, --watch.
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const production = args.has("--production");

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  logLevel: "warning",
  absWorkingDir: root,
};

const extension = {
  ...common,
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  external: ["vscode"],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
};

if (args.has("--watch")) {
  const ctx = await esbuild.context(extension);
  await ctx.watch();
  console.log("watching src/ ...");
} else if (args.has("--tests")) {
  rmSync(join(root, "out"), { recursive: true, force: true });
  const tests = readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.ts"));
  await esbuild.build({
    ...common,
    entryPoints: tests.map((f) => `test/${f}`),
    outdir: "out/test",
    // The pure modules under test must never import 'vscode': marking it external would hide that.
    sourcemap: "inline",
  });
} else {
  rmSync(join(root, "dist", "extension.js.map"), { force: true });
  await esbuild.build(extension);
}

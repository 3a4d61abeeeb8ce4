#!/usr/bin/env node
// End-to-end test of the packaged extension in real VS Code: code-server (VS Code 1.100.3)
// driven by Debian's headless Chromium through playwright-core.
//
// It takes a sample workspace from its caller (tests/vscode builds it with tests/workspaces.py:
// a git repo, src/checkout.py, .stitch/ with a team file, two drafts, one actionable and
// one below the floor, and an agent's prompt), installs the .vsix offline, starts
// code-server with `stitch.server.command` pointing at the Python server, and then, as a
// person would: opens the file, waits for the status bar ("1 draft · 1 prompt"); dismisses
// the agent's prompt, brings it back with "Pending Prompts" and answers it; opens Quick Fix
// (Ctrl+.) on line 13 and reads the rows (the annotated title is there, the below-floor draft
// is not), shows the disabled one through the quick-fix code action menu's "Show Disabled",
// reads the hover (why the held draft is held),
// applies the draft with Enter and waits for the edit and the source log; starts and ends a
// focus session, rejects the remaining draft from "List Drafts", reads "Show Status", opens
// the source log, turns read-only on with a reason; sets a server command that does not
// exist (one message, with a button that opens the setup section) and sets it back (the
// server comes back by itself). Screenshots of each step go to the artifacts folder, with
// code-server's log and the extension's output. It prints ONE line of JSON ({"ok": bool,
// ...}) and exits 0 only if every check passed. code-server's process group (with the
// extension host and the Python server) and Chromium are always killed; a watchdog ends the
// whole run.
//
// Environment:
//   STITCH_E2E_WORKSPACE the sample workspace (required; tests/vscode makes it)
//   STITCH_PYTHON        python with stitch_ls installed (default python3)
//   STITCH_VSIX          the packaged extension (default ../dist/stitch.vsix)
//   STITCH_E2E_ARTIFACTS screenshots and logs (default ./artifacts)
//   STITCH_E2E_TIMEOUT   watchdog in seconds (default 180)
//   STITCH_E2E_KEEP      keep the temp folder (for debugging)
//   CHROMIUM             browser binary (default /usr/bin/chromium)

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** Where the server keeps the engineer's switches for `ws`: asked of Stitch itself
 * (`StitchPaths.state`, keyed on the repository's git folder since every worktree shares
 * them), so this script never copies how the name is made. */
function userStateFile(ws) {
  const code = "import sys; from stitch_ls.core.files.paths import StitchPaths; print(StitchPaths(sys.argv[1]).state)";
  return execFileSync(PYTHON, ["-c", code, ws], { encoding: "utf8", env: process.env }).trim();
}

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const PYTHON = env.STITCH_PYTHON || "python3";
const WORKSPACE = env.STITCH_E2E_WORKSPACE;
const VSIX = resolve(env.STITCH_VSIX || join(here, "..", "dist", "stitch.vsix"));
const ARTIFACTS = resolve(env.STITCH_E2E_ARTIFACTS || join(here, "artifacts"));
const WATCHDOG_S = Number(env.STITCH_E2E_TIMEOUT || 180);
const CHROMIUM = env.CHROMIUM || "/usr/bin/chromium";
const CODE_SERVER = join(here, "node_modules", "code-server", "out", "node", "entry.js");

const READY_TITLE = "Apply draft: Round the total — 0.82 · 2 sources · checkout/a/claude-code";
const LOW_TITLE_START = "Apply draft: Rewrite pay — 0.51";

const result = { ok: false, steps: [], checks: {}, screenshots: [], artifacts: ARTIFACTS };
const cleanups = [];
let finished = false;
let currentPage;

function step(name, extra = {}) {
  result.steps.push({ name, at_s: Number(((Date.now() - started) / 1000).toFixed(1)), ...extra });
}

const started = Date.now();

async function cleanup() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch {
      // keep cleaning up
    }
  }
}

function finish(code) {
  if (finished) return;
  finished = true;
  result.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = code;
}

const watchdog = setTimeout(() => {
  result.error = `watchdog: the run took more than ${WATCHDOG_S} s`;
  void cleanup().finally(() => {
    finish(2);
    process.exit(2);
  });
}, WATCHDOG_S * 1000);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    result.error = `stopped by ${signal}`;
    void cleanup().finally(() => {
      finish(3);
      process.exit(3);
    });
  });
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Live (not zombie) processes of a process group, from /proc. */
function groupMembers(pgid) {
  const members = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function findFiles(dir, match) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(full, match));
    else if (match(entry.name)) out.push(full);
  }
  return out;
}

async function waitFor(what, fn, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
}

async function shot(page, name) {
  const file = join(ARTIFACTS, `${String(result.screenshots.length + 1).padStart(2, "0")}-${name}.png`);
  try {
    await page.screenshot({ path: file, timeout: 10_000 });
    result.screenshots.push(file);
  } catch (error) {
    step(`screenshot ${name} failed`, { error: String(error) });
  }
}

/** The visible text of the Stitch status bar item (icons are glyphs, so not in it). */
async function stitchStatus(page) {
  return page.evaluate(() => {
    const item = [...document.querySelectorAll(".statusbar-item")].find((el) =>
      (el.textContent ?? "").includes("Stitch"),
    );
    return item ? (item.textContent ?? "").trim() : undefined;
  });
}

async function editorText(page) {
  const text = await page.locator(".editor-instance .view-lines").first().innerText({ timeout: 5_000 });
  return text.replace(/\u00a0/g, " ");
}

async function focusedRow(page) {
  return page.evaluate(() => {
    const row = document.querySelector(".action-widget .monaco-list-row.focused");
    return row ? row.getAttribute("aria-label") : null;
  });
}

async function menuRows(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".action-widget .monaco-list-row")].map((row) => ({
      label: row.getAttribute("aria-label"),
      disabled:
        row.getAttribute("aria-disabled") === "true" || row.classList.contains("option-disabled"),
      text: (row.textContent ?? "").trim(),
    })),
  );
}

/** Texts of the notification toasts on screen. */
function toasts(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".notification-toast .notification-list-item")].map((el) =>
      (el.getAttribute("aria-label") ?? el.textContent ?? "").trim(),
    ),
  );
}

/** Whether the quick input (an input box) shows a prompt containing `text`. */
function inputPromptIncludes(page, text) {
  return page.evaluate(
    (t) => {
      const widget = document.querySelector(".quick-input-widget");
      return !!widget && getComputedStyle(widget).display !== "none" && (widget.textContent ?? "").includes(t);
    },
    text,
  );
}

/** Run a command from the palette (F1): the focused row must be the one named `title`. */
async function paletteCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`>${title}`);
  const focused = () =>
    page.evaluate(() => document.querySelector(".quick-input-list .monaco-list-row.focused")?.getAttribute("aria-label") ?? "");
  await waitFor(`palette entry ${title}`, async () => (await focused()) !== "", 10_000);
  for (let i = 0; i < 10 && !(await focused()).includes(title); i++) {
    await page.keyboard.press("ArrowDown");
  }
  const row = await focused();
  if (!row.includes(title)) throw new Error(`the palette has no "${title}" (focused: ${row})`);
  await page.keyboard.press("Enter");
}

/** Replace the remote machine's settings through VS Code's own settings.json editor, and save.
 * (code-server does not notice a settings file written from outside.) */
async function editMachineSettings(page, settings) {
  await paletteCommand(page, "Preferences: Open Remote Settings (JSON)");
  await waitFor(
    "settings.json in the editor",
    () =>
      page.evaluate(() =>
        (document.querySelector(".tabs-container .tab.active")?.getAttribute("aria-label") ?? "").includes("settings.json"),
      ),
    10_000,
  );
  await page.locator(".editor-instance .monaco-editor textarea").first().focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(JSON.stringify(settings));
  await page.keyboard.press("Control+S");
  await waitFor(
    "settings.json saved",
    () =>
      page.evaluate(() => !document.querySelector(".tabs-container .tab.active")?.classList.contains("dirty")),
    10_000,
  );
  await page.keyboard.press("Control+W");
}

async function main() {
  if (!existsSync(VSIX)) throw new Error(`no extension package at ${VSIX}: run npm run package`);
  if (!existsSync(CODE_SERVER)) throw new Error(`code-server is not installed: run scripts/setup-e2e.sh`);
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium`);
  if (!WORKSPACE || !existsSync(join(WORKSPACE, ".stitch"))) {
    throw new Error("STITCH_E2E_WORKSPACE must name a sample workspace (tests/vscode makes one)");
  }
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });

  const root = mkdtempSync(join(tmpdir(), "stitch-e2e-"));
  if (!env.STITCH_E2E_KEEP) cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  result.tmp = root;
  const ws = resolve(WORKSPACE);
  const userData = join(root, "user-data");
  const extensions = join(root, "extensions");
  const xdg = {
    XDG_CONFIG_HOME: join(root, "xdg", "config"),
    XDG_DATA_HOME: join(root, "xdg", "data"),
    XDG_CACHE_HOME: join(root, "xdg", "cache"),
  };
  for (const dir of Object.values(xdg)) mkdirSync(dir, { recursive: true });
  // PATH without any stitch-ls, so only the setting can start the server (and the
  // no-server check below is deterministic).
  const path = (env.PATH ?? "")
    .split(":")
    .filter((dir) => dir && !existsSync(join(dir, "stitch-ls")))
    .join(":");
  const childEnv = { ...env, ...xdg, PATH: path };
  delete childEnv.VSCODE_IPC_HOOK_CLI;

  // Settings. stitch.server.command is machine-scoped: in a remote window such as
  // code-server's, VS Code takes it only from the remote machine's settings
  // (user-data/Machine/settings.json), not from User settings (it reads those once at start,
  // but drops the value on the next change).
  const serverCommand = [PYTHON, "-m", "stitch_ls", "serve"];
  const userSettings = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "security.workspace.trust.enabled": false,
    "git.enabled": false,
    "update.mode": "none",
    "chat.disableAIFeatures": true,
    "window.commandCenter": false,
    // settings.json is edited by typing into the editor below: no auto-closing.
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.autoSurround": "never",
    "editor.formatOnType": false,
    "editor.acceptSuggestionOnEnter": "off",
    "editor.quickSuggestions": { "other": "off", "comments": "off", "strings": "off" },
  };
  mkdirSync(join(userData, "User"), { recursive: true });
  mkdirSync(join(userData, "Machine"), { recursive: true });
  writeFileSync(join(userData, "User", "settings.json"), JSON.stringify(userSettings, null, 2));
  const machineSettings = (command) => ({ "stitch.server.command": command });
  writeFileSync(join(userData, "Machine", "settings.json"), JSON.stringify(machineSettings(serverCommand), null, 2));
  // The Quick Fix menu of Ctrl+. hides disabled actions; the code action menu filtered to
  // quick fixes can show them ("Show Disabled"). A key for it:
  writeFileSync(
    join(userData, "User", "keybindings.json"),
    JSON.stringify([{ key: "ctrl+alt+q", command: "editor.action.codeAction", args: { kind: "quickfix" } }]),
  );
  step("workspace and settings written", { workspace: ws });

  // Install the .vsix offline.
  execFileSync(
    process.execPath,
    [CODE_SERVER, "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", VSIX],
    { env: childEnv, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 },
  );
  step("extension installed");

  const port = await freePort();
  const logFile = join(ARTIFACTS, "code-server.log");
  const codeServer = spawn(
    process.execPath,
    [
      CODE_SERVER,
      "--user-data-dir", userData,
      "--extensions-dir", extensions,
      "--bind-addr", `127.0.0.1:${port}`,
      "--auth", "none",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
      ws,
    ],
    { env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log = [];
  codeServer.stdout.on("data", (d) => log.push(d.toString()));
  codeServer.stderr.on("data", (d) => log.push(d.toString()));
  cleanups.push(async () => {
    // The whole group: code-server, its extension host and the Python server it started.
    try {
      process.kill(-codeServer.pid, "SIGTERM");
    } catch {
      return;
    }
    await waitFor("code-server to exit", () => codeServer.exitCode !== null || codeServer.signalCode !== null, 5_000).catch(() => false);
    try {
      process.kill(-codeServer.pid, "SIGKILL");
    } catch {
      // the group is gone
    }
    await waitFor("code-server's process group to be gone", () => groupMembers(codeServer.pid).length === 0, 5_000).catch(() => {
      result.left_behind = groupMembers(codeServer.pid);
    });
    writeFileSync(logFile, log.join(""));
    for (const file of findFiles(join(userData, "logs"), (name) => name.endsWith("-Stitch.log"))) {
      writeFileSync(join(ARTIFACTS, "stitch-output.log"), readFileSync(file));
    }
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    "code-server /healthz",
    async () => {
      if (codeServer.exitCode !== null) throw new Error(`code-server exited: ${log.join("").slice(-2000)}`);
      const res = await fetch(`${base}/healthz`);
      return res.ok;
    },
    30_000,
    250,
  );
  step("code-server up", { port });

  const profile = join(root, "chromium-profile");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    env: childEnv,
    viewport: { width: 1400, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
    timeout: 30_000,
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  currentPage = page;
  page.setDefaultTimeout(15_000);
  const consoleErrors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(msg.text().slice(0, 300));
  });

  await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`, { timeout: 30_000 });
  await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
  step("workbench loaded");
  await shot(page, "workbench");

  // Open src/checkout.py.
  await page.locator(".monaco-workbench").click({ position: { x: 700, y: 400 } }).catch(() => undefined);
  await page.keyboard.press("Control+P");
  const quickOpen = page.locator(".quick-input-widget input");
  await quickOpen.waitFor({ state: "visible", timeout: 10_000 });
  await quickOpen.fill("src/checkout.py");
  await waitFor(
    "checkout.py in quick open",
    () =>
      page.evaluate(() =>
        [...document.querySelectorAll(".quick-input-list .monaco-list-row")].some((r) =>
          (r.getAttribute("aria-label") ?? "").includes("checkout.py"),
        ),
      ),
    15_000,
  );
  await page.keyboard.press("Enter");
  await waitFor("the editor to show checkout.py", async () => (await editorText(page)).includes("def pay(cart):"), 20_000);
  step("file open");
  await shot(page, "file-open");

  // The status bar, fed by stitch/status: one draft ready.
  const status = await waitFor(
    "the Stitch status bar item to say 1 draft and 1 prompt",
    async () => {
      const text = await stitchStatus(page);
      // the prompt is counted a moment after the drafts on a busy machine: wait for both
      return text && text.includes("1 draft") && text.includes("1 prompt") ? text : false;
    },
    45_000,
    250,
  ).catch(async (error) => {
    result.checks.status_bar_seen = await stitchStatus(page);
    throw error;
  });
  result.checks.status_bar = status;
  step("status bar", { text: status });
  await shot(page, "status-bar");

  // The agent's prompt, shown at start as a notification with its options; dismissed, then
  // brought back by "Stitch: Pending Prompts" (the server's stitch.pendingPrompts) and answered.
  const question = "Which database for the ledger?";
  const promptItems = () =>
    page
      .locator(".notification-toast .notification-list-item, .notifications-list-container .notification-list-item")
      .filter({ hasText: question });
  await waitFor("the prompt's notification", async () => (await promptItems().count()) > 0, 20_000);
  result.checks.prompt_shown = (await toasts(page)).some((t) => t.includes(question));
  await paletteCommand(page, "Notifications: Clear All Notifications");
  await waitFor("the prompt dismissed", async () => (await promptItems().count()) === 0, 10_000);
  await paletteCommand(page, "Stitch: Pending Prompts");
  result.checks.prompts_pick = await waitFor(
    "the pending prompts quick pick",
    () =>
      page.evaluate(
        (q) =>
          [...document.querySelectorAll(".quick-input-list .monaco-list-row")]
            .map((r) => r.getAttribute("aria-label") ?? "")
            .find((label) => label.includes(q)),
        question,
      ),
    10_000,
  );
  result.checks.prompts_pick_title = await page.evaluate(
    () => (document.querySelector(".quick-input-widget .quick-input-title")?.textContent ?? "").trim(),
  );
  await shot(page, "pending-prompts");
  await page.keyboard.press("Enter"); // opens the notifications, where the prompt waits again
  const answer = promptItems().first().locator(".monaco-button", { hasText: "Postgres" });
  await answer.waitFor({ state: "visible", timeout: 15_000 });
  await shot(page, "prompt-again");
  await answer.click();
  const promptFile = join(ws, ".stitch", "prompts", "db-choice.json");
  await waitFor("the answer written back", () => JSON.parse(readFileSync(promptFile, "utf8")).answer, 10_000);
  result.checks.prompt_answer = JSON.parse(readFileSync(promptFile, "utf8")).answer;
  await page.keyboard.press("Escape");
  result.checks.status_after_answer = await waitFor(
    "the status bar to drop the prompt",
    async () => {
      const text = await stitchStatus(page);
      return text && !text.includes("prompt") ? text : false;
    },
    15_000,
    250,
  );
  step("prompt dismissed, shown again and answered", { answer: result.checks.prompt_answer });

  // Cursor on line 13 (1-based), inside the draft's range, then Quick Fix.
  await page.keyboard.press("Control+G");
  await quickOpen.waitFor({ state: "visible", timeout: 10_000 });
  await quickOpen.fill(":13:10");
  await page.keyboard.press("Enter");
  await quickOpen.waitFor({ state: "hidden", timeout: 10_000 });
  step("cursor on line 13");

  let rows = [];
  const seen = [];
  let readyFound = false;
  for (let attempt = 1; attempt <= 10 && !readyFound; attempt++) {
    await page.keyboard.press("Control+.");
    const opened = await page
      .locator(".action-widget .monaco-list-row")
      .first()
      .waitFor({ state: "visible", timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
    if (!opened) {
      // The server may still be scanning: the editor says "No code actions available".
      await page.keyboard.press("Escape");
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    rows = await menuRows(page);
    seen.length = 0;
    for (let i = 0; i < 12; i++) {
      const label = await focusedRow(page);
      if (label !== null && seen.includes(label)) break;
      if (label !== null) seen.push(label);
      await page.keyboard.press("ArrowDown");
    }
    readyFound = seen.includes(READY_TITLE) || rows.some((r) => r.label === READY_TITLE);
    if (!readyFound) {
      await page.keyboard.press("Escape");
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  result.checks.quick_fix_rows = rows;
  result.checks.quick_fix_focus_order = seen;
  if (!readyFound) throw new Error(`the Quick Fix menu has no "${READY_TITLE}"`);
  const low = rows.find((r) => (r.label ?? "").startsWith(LOW_TITLE_START));
  result.checks.below_floor = low ? (low.disabled ? "disabled" : "ENABLED") : "absent";
  if (low && !low.disabled) throw new Error(`the below-floor draft is offered enabled: ${low.label}`);
  step("quick fix menu", { rows: rows.length });

  // The same spot through editor.action.codeAction {kind: quickfix}, with "Show Disabled".
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Alt+q");
  await page.locator(".action-widget .monaco-list-row").first().waitFor({ state: "visible", timeout: 10_000 });
  await page.keyboard.press("Tab");
  const button = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
  if (button !== "Show Disabled") throw new Error(`expected the "Show Disabled" button, focused: ${button}`);
  await page.keyboard.press("Enter");
  const withDisabled = await waitFor(
    "the disabled draft in the code action menu",
    async () => {
      const all = await menuRows(page);
      return all.some((r) => (r.label ?? "").startsWith(LOW_TITLE_START)) ? all : false;
    },
    5_000,
  );
  const lowShown = withDisabled.find((r) => (r.label ?? "").startsWith(LOW_TITLE_START));
  result.checks.show_disabled_rows = withDisabled;
  result.checks.below_floor_with_show_disabled = lowShown.disabled ? "disabled" : "ENABLED";
  result.checks.below_floor_reason = await page.evaluate(() => {
    const row = [...document.querySelectorAll(".action-widget .monaco-list-row")].find((r) =>
      (r.getAttribute("aria-label") ?? "").includes("0.51"),
    );
    return row?.getAttribute("title") ?? null;
  });
  if (!lowShown.disabled) throw new Error(`the below-floor draft is enabled: ${lowShown.label}`);
  await shot(page, "show-disabled");
  await page.keyboard.press("Escape");
  step("disabled quick fix shown on request");

  // The hover (Ctrl+K Ctrl+I) on the same line says why the below-floor draft is held.
  await page.locator(".editor-instance .monaco-editor textarea").first().focus();
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  result.checks.hover = await waitFor(
    "the hover with the drafts",
    () =>
      page.evaluate(() => {
        const hover = [...document.querySelectorAll(".monaco-hover")].find((el) =>
          (el.textContent ?? "").includes("Rewrite pay"),
        );
        return hover ? (hover.textContent ?? "").replace(/\u00a0/g, " ") : false;
      }),
    10_000,
  );
  await shot(page, "hover");
  await page.keyboard.press("Escape");
  step("hover says why");

  // Accepted means kept: the ready draft applied three times, from Ctrl+. with Enter. Undone
  // and saved: not kept; closed without saving: not kept; saved: accepted. After the first
  // two it is back among the drafts, applicable again.
  const sourceLog = join(ws, ".stitch", "source-log.jsonl");
  const logLines = () =>
    existsSync(sourceLog) ? readFileSync(sourceLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
  const applyReady = async (name) => {
    await page.locator(".editor-instance .monaco-editor textarea").first().focus();
    await page.keyboard.press("Control+G");
    await quickOpen.waitFor({ state: "visible", timeout: 10_000 });
    await quickOpen.fill(":13:10");
    await page.keyboard.press("Enter");
    await quickOpen.waitFor({ state: "hidden", timeout: 10_000 });
    await waitFor(
      "the ready draft's row in Quick Fix",
      async () => {
        await page.keyboard.press("Escape");
        await page.keyboard.press("Control+.");
        const opened = await page
          .locator(".action-widget .monaco-list-row")
          .first()
          .waitFor({ state: "visible", timeout: 3_000 })
          .then(() => true)
          .catch(() => false);
        if (!opened) return false;
        for (let i = 0; i < 12 && (await focusedRow(page)) !== READY_TITLE; i++) {
          await page.keyboard.press("ArrowDown");
        }
        return (await focusedRow(page)) === READY_TITLE;
      },
      30_000,
      500,
    );
    await shot(page, `quick-fix-${name}`);
    await page.keyboard.press("Enter");
    await waitFor(
      "the editor to show round(cart.total(), 2)",
      async () => (await editorText(page)).includes("return round(cart.total(), 2)"),
      20_000,
    );
    await waitFor(
      "the status bar to say unsaved",
      async () => ((await stitchStatus(page)) ?? "").includes("1 unsaved"),
      15_000,
      250,
    );
  };
  const logged = (count) => waitFor(`source log line ${count}`, () => logLines().length >= count && logLines()[count - 1], 15_000, 200);
  const kept = {};

  await applyReady("undo");
  result.checks.applied_line = (await editorText(page)).split("\n").find((l) => l.includes("round(")).trim();
  result.checks.status_unsaved = await stitchStatus(page);
  step("draft applied");
  await shot(page, "applied");
  await page.keyboard.press("Control+Z");
  await waitFor("the undo", async () => !(await editorText(page)).includes("round(cart.total(), 2)"), 10_000);
  await paletteCommand(page, "File: Save");
  kept.undo = await logged(1);
  step("applied, undone, saved", { what: kept.undo.what });

  // Closing a buffer that an edit from an extension changed saves it here (VS Code's
  // files.refactoring.autoSave): the change is on disk, kept. Quitting it unsaved is
  // "Revert and Close".
  await applyReady("close");
  await paletteCommand(page, "View: Revert and Close Editor");
  await shot(page, "close-unsaved");
  kept.close = await logged(2);
  step("applied, closed without saving", { what: kept.close.what });
  await page.keyboard.press("Control+P");
  await quickOpen.waitFor({ state: "visible", timeout: 10_000 });
  await quickOpen.fill("src/checkout.py");
  await waitFor(
    "checkout.py in quick open again",
    () =>
      page.evaluate(() =>
        [...document.querySelectorAll(".quick-input-list .monaco-list-row")].some((r) =>
          (r.getAttribute("aria-label") ?? "").includes("checkout.py"),
        ),
      ),
    15_000,
  );
  await page.keyboard.press("Enter");
  await waitFor("the editor to show checkout.py again", async () => (await editorText(page)).includes("def pay(cart):"), 20_000);

  await applyReady("save");
  await paletteCommand(page, "File: Save");
  kept.save = await logged(3);
  step("applied, saved", { event: kept.save.event });
  result.checks.kept = kept;
  result.checks.source_log = kept.save.draft;
  result.checks.status_after_apply = await waitFor(
    "the status bar to drop the applied draft",
    async () => {
      const text = await stitchStatus(page);
      return text && !text.includes("1 draft") ? text : false;
    },
    15_000,
    250,
  );
  step("status after apply", { text: result.checks.status_after_apply });

  // A focus session from the palette: quiet until a local time, then ended.
  await paletteCommand(page, "Stitch: Start Focus Session");
  await waitFor("the minutes prompt", () => inputPromptIncludes(page, "Minutes of quiet"), 10_000);
  await page.keyboard.press("Enter"); // the default, 120
  result.checks.status_focus = await waitFor(
    "the status bar to say quiet until",
    async () => {
      const text = await stitchStatus(page);
      return text && /quiet until \d{4}-\d\d-\d\d \d\d:\d\d/.test(text) ? text : false;
    },
    15_000,
    250,
  );
  await shot(page, "focus");
  await paletteCommand(page, "Stitch: End Focus Session");
  result.checks.status_focus_ended = await waitFor(
    "the status bar to leave quiet hours",
    async () => {
      const text = await stitchStatus(page);
      return text && !text.includes("quiet") ? text : false;
    },
    15_000,
    250,
  );
  step("focus session", { text: result.checks.status_focus });

  // List drafts: the stale one is left; its dialog offers only Reject, with a reason.
  await paletteCommand(page, "Stitch: List Drafts");
  const pickRow = await waitFor(
    "the drafts quick pick",
    () =>
      page.evaluate(() =>
        [...document.querySelectorAll(".quick-input-list .monaco-list-row")]
          .map((r) => r.getAttribute("aria-label") ?? "")
          .find((label) => label.includes("Rewrite pay")),
      ),
    10_000,
  );
  result.checks.draft_pick = pickRow;
  await page.keyboard.press("Enter");
  const dialog = page.locator(".monaco-dialog-box");
  await dialog.waitFor({ state: "visible", timeout: 10_000 });
  result.checks.draft_dialog = (await dialog.innerText()).replace(/\u00a0/g, " ");
  result.checks.draft_dialog_buttons = await dialog.locator(".monaco-button").allInnerTexts();
  await shot(page, "draft-dialog");
  await dialog.locator(".monaco-button", { hasText: "Reject" }).click();
  await waitFor("the reject reason prompt", () => inputPromptIncludes(page, "Why?"), 10_000);
  await page.locator(".quick-input-widget input").fill("superseded by the applied draft");
  await page.keyboard.press("Enter");
  await waitFor("the rejection notice", async () => (await toasts(page)).some((t) => t.includes("rejected draft low")), 10_000);
  await paletteCommand(page, "Stitch: List Drafts");
  await waitFor("no pending drafts", async () => (await toasts(page)).some((t) => t.includes("no pending drafts")), 10_000);
  step("draft rejected from the list");

  // Status in words, and the source log.
  await paletteCommand(page, "Stitch: Show Status");
  await dialog.waitFor({ state: "visible", timeout: 10_000 });
  result.checks.status_dialog = (await dialog.innerText()).replace(/\u00a0/g, " ");
  await shot(page, "status-dialog");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden", timeout: 10_000 });
  await paletteCommand(page, "Stitch: Open Source Log");
  // the readable form the server sends (stitch.sourceLog), opened as a text document
  result.checks.source_log_tab = await waitFor(
    "the source log in the editor",
    () =>
      page.evaluate(() => {
        // editors render spaces as U+00A0; several editors may be in the page
        const texts = [...document.querySelectorAll(".view-lines")].map((e) =>
          (e.textContent ?? "").replace(/\u00a0/g, " "),
        );
        const text = texts.find((t) => t.startsWith("Source log") && t.includes("ACCEPTED:"));
        return text ? text.slice(0, 1000) : false;
      }),
    10_000,
  );
  await page.keyboard.press("Control+W");
  step("status and source log");

  // A palette command: make agents read-only, with a reason.
  await paletteCommand(page, "Stitch: Toggle Agents Read-Only");
  const reasonBox = page.locator(".quick-input-widget input");
  await waitFor("the read-only reason prompt", () => inputPromptIncludes(page, "Why?"), 10_000);
  await reasonBox.fill("e2e: checking the switch");
  await page.keyboard.press("Enter");
  result.checks.status_read_only = await waitFor(
    "the status bar to say read-only",
    async () => {
      const text = await stitchStatus(page);
      return text && text.includes("read-only") ? text : false;
    },
    15_000,
    250,
  );
  const state = JSON.parse(readFileSync(userStateFile(ws), "utf8"));
  result.checks.state_read_only = state.read_only ?? state.readOnly ?? null;
  step("read-only on", { text: result.checks.status_read_only });
  await shot(page, "read-only");

  // A command that cannot start: one message (with the setup button), no restart loop.
  await editMachineSettings(page, machineSettings(["/nonexistent/stitch-python", "-m", "stitch_ls", "serve"]));
  result.checks.status_no_server = await waitFor(
    "the status bar to say no server",
    async () => {
      const text = await stitchStatus(page);
      return text && text.includes("no server") ? text : false;
    },
    20_000,
    250,
  );
  await waitFor("the no-server message", async () => (await toasts(page)).some((t) => t.includes("Stitch: no language server found")), 10_000);
  await new Promise((r) => setTimeout(r, 3_000));
  const messages = (await toasts(page)).filter((t) => t.includes("Stitch: no language server found"));
  result.checks.no_server_messages = messages;
  result.checks.no_server_has_setup_button = await page.evaluate(() =>
    [...document.querySelectorAll(".notification-toast a.monaco-button, .notification-toast .monaco-button")].some(
      (b) => (b.textContent ?? "").includes("Setup instructions"),
    ),
  );
  await shot(page, "no-server");
  if (messages.length !== 1) throw new Error(`expected one no-server message, saw ${messages.length}`);
  step("no server: one message");

  // Its button opens the setup section of the README shipped in the extension.
  await page.locator(".notification-toast .monaco-button", { hasText: "Setup instructions" }).first().click({ timeout: 10_000 });
  result.checks.setup_opened = await waitFor(
    "the README preview",
    () =>
      page.evaluate(() => {
        const tab = [...document.querySelectorAll(".tabs-container .tab")]
          .map((t) => t.getAttribute("aria-label") ?? "")
          .find((label) => /readme/i.test(label));
        return tab ?? false;
      }),
    15_000,
  );
  await page.waitForTimeout(1_000);
  await shot(page, "setup-instructions");
  step("setup instructions opened", { tab: result.checks.setup_opened });

  // The setting back: the server starts again by itself and still says read-only.
  await editMachineSettings(page, machineSettings(serverCommand));
  result.checks.status_restarted = await waitFor(
    "the server to come back",
    async () => {
      const text = await stitchStatus(page);
      return text && text.includes("read-only") ? text : false;
    },
    30_000,
    250,
  );
  step("server back after the setting changed");
  await shot(page, "restarted");

  // Two streams change Cart.total: a stitch point. "Compare Streams at the Stitch Point Here"
  // asks which stream and opens a diff of its version (read-only, left) with the file.
  // The branches are written with git's plumbing, so the working tree is left as it is.
  const gitIn = (args, options = {}) => execFileSync("git", args, { cwd: ws, encoding: "utf8", ...options }).trim();
  const mainText = gitIn(["show", "main:src/checkout.py"]) + "\n";
  const streamCommit = (branch, text, message) => {
    const index = join(root, `index-${branch.replace(/\//g, "-")}`);
    const env = { ...process.env, GIT_INDEX_FILE: index };
    gitIn(["read-tree", "main"], { env });
    const blob = gitIn(["hash-object", "-w", "--stdin"], { input: text });
    gitIn(["update-index", "--cacheinfo", `100644,${blob},src/checkout.py`], { env });
    const tree = gitIn(["write-tree"], { env });
    const commit = gitIn(["commit-tree", tree, "-p", "main", "-m", message]);
    gitIn(["update-ref", `refs/heads/${branch}`, commit]);
  };
  streamCommit("stream/checkout/a", mainText.replace("return sum(self.items)", "return sum(self.items) or 0"), "Empty carts");
  streamCommit(
    "stream/checkout/b",
    mainText.replace("    def total(self):\n", "    def total(self):\n        # sum of item prices\n"),
    "Document total",
  );
  await page.keyboard.press("Control+P");
  await quickOpen.waitFor({ state: "visible", timeout: 10_000 });
  await quickOpen.fill("src/checkout.py");
  await page.waitForTimeout(300);
  await page.keyboard.press("Enter");
  await waitFor("the editor to show checkout.py again", async () => (await editorText(page)).includes("def total(self):"), 10_000);
  result.checks.status_stitch_point = await waitFor(
    "the status bar to count the stitch point",
    async () => {
      const text = await stitchStatus(page);
      return text && text.includes("stitch point") ? text : false;
    },
    20_000,
    250,
  );
  await page.locator(".editor-instance .monaco-editor textarea").first().focus();
  await page.keyboard.press("Control+G");
  await page.keyboard.type("8");
  await page.keyboard.press("Enter");
  await paletteCommand(page, "Stitch: Compare Streams at the Stitch Point Here");
  result.checks.compare_pick = await waitFor(
    "the stream pick",
    () =>
      page.evaluate(() => {
        const rows = [...document.querySelectorAll(".quick-input-list .monaco-list-row")].map(
          (r) => r.getAttribute("aria-label") ?? "",
        );
        return rows.some((r) => r.includes("checkout/b")) ? rows : false;
      }),
    15_000,
  );
  await page.locator(".quick-input-widget input").fill("checkout/b");
  await page.waitForTimeout(200);
  await page.keyboard.press("Enter");
  const diff = await waitFor(
    "the diff with checkout/b's version",
    () =>
      page.evaluate(() => {
        const editor = document.querySelector(".monaco-diff-editor");
        const original = editor?.querySelector(".editor.original .view-lines");
        const modified = editor?.querySelector(".editor.modified .view-lines");
        const tab = document.querySelector(".tabs-container .tab.active")?.getAttribute("aria-label") ?? "";
        const text = (el) => (el?.textContent ?? "").replace(/\u00a0/g, " ");
        return original && text(original).includes("# sum of item prices")
          ? { tab, original: text(original).slice(0, 400), modified: text(modified).slice(0, 400) }
          : false;
      }),
    15_000,
  );
  result.checks.compare_diff = diff;
  await shot(page, "compare-streams");
  step("stream compared in a diff", { tab: diff.tab });

  result.checks.console_errors = consoleErrors.slice(0, 10);
  result.ok = true;
}

try {
  await main();
  await cleanup();
  clearTimeout(watchdog);
  finish(0);
} catch (error) {
  result.error = error instanceof Error ? error.message : String(error);
  if (currentPage) await shot(currentPage, "failure");
  await cleanup();
  clearTimeout(watchdog);
  finish(1);
}

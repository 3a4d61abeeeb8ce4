/**
 * The language server's life in this window: find the command (discovery.ts), start a
 * vscode-languageclient over stdio, keep the last `stitch/status`, restart a crashed server
 * a few times at most (restartPolicy.ts), and run server commands with their errors shown
 * as the plain sentences the server wrote.
 */
import { accessSync, constants, statSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import { discoverServer, resolveExecutable, type ServerCommand } from "./discovery";
import { canImportStitch, onInterpreterChanged, selectedInterpreter } from "./python";
import { RestartPolicy } from "./restartPolicy";
import { isInside, serverCommandSetting } from "./settings";
import { asStatus, type StitchStatus } from "./status";
import type { StatusBar } from "./statusBar";

/** Where the setup instructions are: the README shipped inside the extension (vsce stores it
 * as readme.md), at this section. A constant: no setting can point it elsewhere. */
export const SETUP_README = ["README.md", "readme.md"];
export const SETUP_SECTION = "setting-up-the-server";

/** JSON-RPC code the server uses for a refused command ("agents are read-only: ..."). */
const REQUEST_FAILED = -32803;

export class CommandError extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

/** The client, with the library's own forced pop-ups turned into log lines: this extension
 * shows one message of its own for each failure, so nothing is said twice. */
class StitchLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | "force" = true): void {
    super.error(message, data, showNotification === "force" ? false : showNotification);
  }
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform !== "win32") accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class ServerManager implements vscode.Disposable {
  private client?: StitchLanguageClient;
  private starting?: Promise<void>;
  private readonly policy = new RestartPolicy();
  private readonly disposables: vscode.Disposable[] = [];
  private missingShown = false;
  private wasRunning = false;
  private current?: ServerCommand;
  private clientFolder?: vscode.WorkspaceFolder;
  private restartTimer?: NodeJS.Timeout;
  status?: StitchStatus;
  readonly onStatus = new vscode.EventEmitter<StitchStatus>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.OutputChannel,
    private readonly bar: StatusBar,
  ) {
    this.disposables.push(
      this.onStatus,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("stitch.server.command")) {
          this.restartSoon("stitch.server.command changed");
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.restartSoon("the workspace is now trusted");
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (this.folder()?.uri.toString() !== this.clientFolder?.uri.toString()) {
          this.restartSoon("the workspace folders changed");
        }
      }),
      { dispose: () => clearTimeout(this.restartTimer) },
    );
    void onInterpreterChanged(() => {
      if (!this.current || this.current.source === "python") {
        this.restartSoon("the Python interpreter changed");
      }
    }).then((d) => d && this.disposables.push(d));
  }

  /** Restart after a moment: a burst of changes restarts once, and the client first
   * delivers the change it is handling itself (didChangeConfiguration) to the old server. */
  private restartSoon(reason: string): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.restart(reason), 300);
  }

  log(line: string): void {
    this.output.appendLine(`[stitch] ${new Date().toISOString()} ${line}`);
  }

  /** The folder the server serves: the first one with a `.stitch/` folder, else the first. */
  folder(): vscode.WorkspaceFolder | undefined {
    const folders = vscode.workspace.workspaceFolders ?? [];
    return (
      folders.find((f) => {
        try {
          return f.uri.scheme === "file" && statSync(path.join(f.uri.fsPath, ".stitch")).isDirectory();
        } catch {
          return false;
        }
      }) ?? folders.find((f) => f.uri.scheme === "file")
    );
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  /** Start unless started; resolves when the server is running (or could not be started). */
  ensureStarted(): Promise<void> {
    if (this.starting) return this.starting;
    if (this.client && this.client.state !== State.Stopped) return Promise.resolve();
    this.starting = this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async discover(folder: vscode.WorkspaceFolder) {
    const trusted = vscode.workspace.isTrusted;
    const config = vscode.workspace.getConfiguration("stitch", folder.uri);
    const setting = serverCommandSetting(
      config.inspect<unknown>("server.command"),
      config.get<unknown>("server.command"),
      trusted,
    );
    if (setting.ignored) this.log(setting.ignored);
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    return discoverServer({
      settingCommand: setting.command,
      pythonInterpreter: () => selectedInterpreter(folder),
      pythonAllowed: (python) =>
        !trusted && isInside(python, folders, path.sep)
          ? "it lives inside this untrusted workspace, so it is not run"
          : undefined,
      canImportStitch: (python) => canImportStitch(python, folder.uri.fsPath),
      resolveExecutable: (name) =>
        resolveExecutable(name, process.env, process.platform, isExecutableFile, folder.uri.fsPath),
    });
  }

  private async start(): Promise<void> {
    const folder = this.folder();
    if (!folder) {
      this.bar.show({ kind: "missing", why: "open a folder to use Stitch" });
      return;
    }
    this.bar.show({ kind: "starting" });
    const found = await this.discover(folder);
    for (const line of found.skipped) this.log(`skipped: ${line}`);
    if (!found.found) {
      const why = "no language server found";
      this.bar.show({ kind: "missing", why: `${why}. Tried: ${found.skipped.join("; ")}` });
      this.current = undefined;
      if (!this.missingShown) {
        this.missingShown = true;
        void this.showSetupMessage(
          `Stitch: ${why}. Install the server (Python package stitch-ls) into the interpreter you use, or set "stitch.server.command".`,
        );
      }
      return;
    }
    this.current = found.found;
    this.clientFolder = folder;
    this.log(`starting ${[found.found.command, ...found.found.args].join(" ")} (from ${found.found.detail})`);
    const client = this.createClient(found.found, folder);
    this.client = client;
    this.wasRunning = false;
    try {
      await client.start();
    } catch (error) {
      if (this.client !== client) return;
      const why = error instanceof Error ? error.message : String(error);
      this.log(`the server did not start: ${why}`);
      this.bar.show({ kind: "stopped", why: `the server did not start: ${why}` });
      void this.showSetupMessage(
        `Stitch: the language server (${found.found.detail}) did not start: ${why}`,
        true,
      );
      return;
    }
    this.missingShown = false;
    if (!this.status) {
      try {
        this.setStatus(await this.run("stitch.status", []));
      } catch (error) {
        this.log(`stitch.status failed: ${String(error)}`);
      }
    }
  }

  private createClient(found: ServerCommand, folder: vscode.WorkspaceFolder): StitchLanguageClient {
    const serverOptions: ServerOptions = {
      command: found.command,
      args: found.args,
      options: { cwd: folder.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    // Every file of the served folder (drafts may touch any of them), none outside it.
    const inFolder = new vscode.RelativePattern(folder, "**/*");
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file", pattern: inFolder as unknown as string }],
      workspaceFolder: folder,
      diagnosticCollectionName: "stitch",
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      synchronize: { configurationSection: "stitch" },
      // "Verify draft" runs the team's test command: never where VS Code does not trust the
      // folder (granting trust restarts the server, which then learns it)
      initializationOptions: { workspaceTrusted: vscode.workspace.isTrusted },
      initializationFailedHandler: (error) => {
        this.log(`initialize failed: ${String(error)}`);
        return false;
      },
      errorHandler: {
        error: (_error, _message, count) =>
          (count ?? 0) <= 3
            ? { action: ErrorAction.Continue, handled: true }
            : { action: ErrorAction.Shutdown, handled: true },
        closed: () => {
          const hadRun = this.wasRunning;
          const decision = this.policy.onClosed(hadRun);
          this.wasRunning = false;
          if (decision.restart) {
            this.log("the server stopped; restarting it");
            this.bar.show({ kind: "starting" });
            return { action: CloseAction.Restart, handled: true };
          }
          const message = decision.message ?? "The Stitch server stopped.";
          this.log(message);
          this.bar.show({ kind: "stopped", why: message });
          this.status = undefined;
          // A server that died while starting is reported once by start() instead.
          if (hadRun) void this.showStoppedMessage(message);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        // Server commands (also those behind code actions) go through run(), so a refusal
        // shows the server's own sentence instead of "Request workspace/executeCommand failed".
        executeCommand: async (command, args) => {
          // the stitch point's "compare streams" lens: the answer is shown here, as diffs
          if (command === "stitch.compareStreams") {
            return vscode.commands.executeCommand("stitch.ui.compareStreams", ...(args as unknown[]));
          }
          try {
            return await this.run(command, args);
          } catch (error) {
            showCommandError(error);
            return undefined;
          }
        },
      },
    };
    const client = new StitchLanguageClient("stitch", "Stitch", serverOptions, clientOptions);
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        this.wasRunning = true;
        this.bar.show({ kind: "running", status: this.status });
      }
    });
    client.onNotification("stitch/status", (params: unknown) => this.setStatus(params));
    return client;
  }

  setStatus(value: unknown): void {
    const status = asStatus(value);
    if (!status) return;
    this.status = status;
    this.bar.show({ kind: "running", status });
    this.onStatus.fire(status);
  }

  /** Run a server command; a refusal rejects with a CommandError carrying the server's text. */
  async run(command: string, args: unknown[]): Promise<unknown> {
    const client = this.client;
    if (client?.state === State.Starting) await whenSettled(client, 30_000);
    if (!client || client.state !== State.Running) {
      throw new CommandError(
        this.current
          ? "The Stitch server is not running. See its output, or run \"Stitch: Restart Server\"."
          : "The Stitch server is not running: no server was found. See the setup instructions.",
        false,
      );
    }
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (error) {
      if (error instanceof ResponseError) {
        throw new CommandError(error.message, error.code === REQUEST_FAILED);
      }
      throw new CommandError(error instanceof Error ? error.message : String(error), false);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.status = undefined;
    if (client && client.state !== State.Stopped) {
      try {
        await client.stop(5_000);
      } catch (error) {
        this.log(`stopping the server failed: ${String(error)}`);
      }
    }
    if (client) await client.dispose().catch(() => undefined);
  }

  async restart(reason: string, manual = false): Promise<void> {
    this.log(`restarting: ${reason}`);
    if (manual) {
      this.policy.reset();
      this.missingShown = false;
    }
    await this.starting?.catch(() => undefined);
    await this.stop();
    await this.ensureStarted();
  }

  async openSetup(): Promise<void> {
    const root = this.context.extensionUri;
    const name =
      SETUP_README.find((file) => {
        try {
          return statSync(path.join(root.fsPath, file)).isFile();
        } catch {
          return false;
        }
      }) ?? SETUP_README[0];
    const readme = vscode.Uri.joinPath(root, name).with({ fragment: SETUP_SECTION });
    try {
      await vscode.commands.executeCommand("markdown.showPreview", readme);
    } catch {
      await vscode.window.showTextDocument(readme);
    }
  }

  private async showSetupMessage(message: string, withOutput = false): Promise<void> {
    const setup = "Setup instructions";
    const output = "Show output";
    const choice = await vscode.window.showErrorMessage(
      message,
      setup,
      ...(withOutput ? [output] : []),
    );
    if (choice === setup) await this.openSetup();
    if (choice === output) this.output.show(true);
  }

  private async showStoppedMessage(message: string): Promise<void> {
    const output = "Show output";
    const restart = "Restart";
    const choice = await vscode.window.showErrorMessage(message, output, restart);
    if (choice === output) this.output.show(true);
    if (choice === restart) await this.restart("asked after a stop", true);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Resolves when a starting client is running or stopped (or after `ms`). */
function whenSettled(client: LanguageClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const listener = client.onDidChangeState((e) => {
      if (e.newState !== State.Starting) done();
    });
    function done() {
      clearTimeout(timer);
      listener.dispose();
      resolve();
    }
  });
}

/** A server command's error, shown as the server wrote it. */
export function showCommandError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CommandError && error.refused) {
    void vscode.window.showWarningMessage(message);
  } else {
    void vscode.window.showErrorMessage(message);
  }
}

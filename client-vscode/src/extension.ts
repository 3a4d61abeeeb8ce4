/**
 * Stitch for VS Code: starts the Stitch language server (drafts as code actions, policy
 * gates, quiet hours, stitch points), shows its status in the status bar, and adds palette
 * commands for every switch. The server does the work; this client finds it, starts it, and
 * asks the human what a command needs.
 */
import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { ServerManager } from "./server";
import { StatusBar } from "./statusBar";

let server: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("Stitch");
  const bar = new StatusBar();
  server = new ServerManager(context, output, bar);
  context.subscriptions.push(output, bar, server);
  registerCommands(context, server);
  // Activated by a `.stitch/` folder or by one of the commands: start now, without holding
  // up the extension host.
  void server.ensureStarted();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}

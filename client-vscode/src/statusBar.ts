/** The status bar item: the server's state until it runs, then its `stitch/status`. */
import * as vscode from "vscode";
import { statusBarView, type StitchStatus } from "./status";

export type ServerState =
  | { kind: "idle" }
  | { kind: "starting" }
  | { kind: "running"; status?: StitchStatus }
  | { kind: "missing"; why: string }
  | { kind: "stopped"; why: string };

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: ServerState = { kind: "idle" };

  constructor() {
    this.item = vscode.window.createStatusBarItem("stitch.status", vscode.StatusBarAlignment.Left, 50);
    this.item.name = "Stitch";
    this.item.command = "stitch.ui.menu";
  }

  show(state: ServerState): void {
    this.state = state;
    this.render();
  }

  private render(): void {
    const state = this.state;
    const item = this.item;
    item.backgroundColor = undefined;
    switch (state.kind) {
      case "idle":
        item.hide();
        return;
      case "starting":
        item.text = "$(sync~spin) Stitch";
        item.tooltip = "Stitch: starting the language server";
        break;
      case "missing":
        item.text = "$(error) Stitch: no server";
        item.tooltip = `Stitch: ${state.why}\nClick for the setup instructions.`;
        item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
        break;
      case "stopped":
        item.text = "$(debug-disconnect) Stitch: stopped";
        item.tooltip = `Stitch: ${state.why}`;
        item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
        break;
      case "running": {
        if (!state.status) {
          item.text = "$(check) Stitch";
          item.tooltip = "Stitch: running";
          break;
        }
        const view = statusBarView(state.status);
        item.text = view.text;
        item.tooltip = `Stitch\n\n${view.tooltip}`;
        if (view.severity !== "normal") {
          item.backgroundColor = new vscode.ThemeColor(`statusBarItem.${view.severity}Background`);
        }
        break;
      }
    }
    item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

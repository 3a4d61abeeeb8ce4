/**
 * The palette commands (`stitch.ui.*`). The server's own command ids (`stitch.applyDraft`, ...)
 * are registered by vscode-languageclient; these client-side ones ask the human what is
 * needed (a reason, minutes, which draft) and then call them.
 */
import * as vscode from "vscode";
import { asDraftList, describeDraft, draftChoices, draftPickItem, sortDrafts, type DraftDetail } from "./drafts";
import { CommandError, showCommandError, type ServerManager } from "./server";
import { asPromptList, promptPickItem, promptsTitle, PROMPTS_PLACEHOLDER } from "./prompts";
import { asStatus, describeStatus, menuItems, shownTime, type StitchStatus } from "./status";
import { stitchPointsAt } from "./stitchPoints";
import { asComparison, diffTitle, notShown, STREAM_SCHEME, streamPicks, versionPath, type Side } from "./compare";

type Handler = (...args: unknown[]) => Promise<unknown>;

function guarded(handler: Handler): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    try {
      await handler(...args);
    } catch (error) {
      showCommandError(error);
    }
  };
}

export function registerCommands(context: vscode.ExtensionContext, server: ServerManager): void {
  const ready = async () => {
    await server.ensureStarted();
  };

  const run = async (command: string, args: unknown[]) => {
    await ready();
    return server.run(command, args);
  };

  // The source log as the server reads it, shown read-only (a virtual document: never
  // "unsaved", nothing to save on close); refreshed each time it is opened.
  const logScheme = "stitch-log";
  const logChanged = new vscode.EventEmitter<vscode.Uri>();
  let logText = "";
  context.subscriptions.push(
    logChanged,
    vscode.workspace.registerTextDocumentContentProvider(logScheme, {
      onDidChange: logChanged.event,
      provideTextDocumentContent: () => logText,
    }),
  );

  // Each stream's version at a stitch point, read-only, as the left side of a diff with the
  // engineer's file (as the source log: a virtual document, its text from the server).
  const versions = new Map<string, string>();
  const versionChanged = new vscode.EventEmitter<vscode.Uri>();
  context.subscriptions.push(
    versionChanged,
    vscode.workspace.registerTextDocumentContentProvider(STREAM_SCHEME, {
      onDidChange: versionChanged.event,
      provideTextDocumentContent: (uri) => versions.get(uri.toString()) ?? "",
    }),
  );

  /** The stitch point under the cursor (asks which when several), or undefined. */
  const pointHere = async (): Promise<string | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage("Stitch: open a file and put the cursor on a stitch point.");
      return undefined;
    }
    const ids = stitchPointsAt(vscode.languages.getDiagnostics(editor.document.uri), editor.selection.active);
    if (ids.length === 0) {
      void vscode.window.showInformationMessage("Stitch: no stitch point here.");
      return undefined;
    }
    return ids.length === 1 ? ids[0] : await vscode.window.showQuickPick(ids, { title: "Which stitch point?" });
  };

  const currentStatus = async (): Promise<StitchStatus> => {
    await ready();
    return server.status ?? asStatus(await server.run("stitch.status", [])) ?? {};
  };

  const commands: Record<string, Handler> = {
    "stitch.ui.toggleReadOnly": async () => {
      const status = await currentStatus();
      if (status.read_only?.on) {
        server.setStatus(await run("stitch.setReadOnly", [{ on: false }]));
        void vscode.window.showInformationMessage("Stitch: agents may hand in drafts again (read-only is off).");
        return;
      }
      const reason = await vscode.window.showInputBox({
        title: "Make agents read-only",
        prompt: "Why? It is recorded with your name and the time, and shown to everyone.",
        placeHolder: "e.g. incident in checkout",
        ignoreFocusOut: true,
        validateInput: (value) => (value.trim() ? undefined : "Give a reason"),
      });
      if (reason === undefined) return;
      server.setStatus(await run("stitch.setReadOnly", [{ on: true, reason: reason.trim() }]));
      void vscode.window.showInformationMessage(`Stitch: agents are read-only: ${reason.trim()}`);
    },

    "stitch.ui.startFocus": async () => {
      const answer = await vscode.window.showInputBox({
        title: "Start a focus session",
        prompt: "Minutes of quiet: no agent drafts, prompts or notifications until it ends.",
        value: "120",
        validateInput: (value) =>
          /^\d+$/.test(value.trim()) && Number(value) >= 1 && Number(value) <= 24 * 60
            ? undefined
            : "A whole number of minutes, 1 to 1440",
      });
      if (answer === undefined) return;
      const status = asStatus(await run("stitch.focus", [{ minutes: Number(answer.trim()) }]));
      if (status) server.setStatus(status);
      const until = shownTime(status?.quiet?.until_text, status?.quiet?.until);
      void vscode.window.showInformationMessage(
        until ? `Stitch: quiet until ${until}.` : "Stitch: focus session started.",
      );
    },

    "stitch.ui.endFocus": async () => {
      server.setStatus(await run("stitch.endFocus", []));
      void vscode.window.showInformationMessage("Stitch: focus session ended.");
    },

    "stitch.ui.listDrafts": async () => {
      const drafts = sortDrafts(asDraftList(await run("stitch.listDrafts", [])));
      if (drafts.length === 0) {
        void vscode.window.showInformationMessage("Stitch: no pending drafts.");
        return;
      }
      const picked = await vscode.window.showQuickPick(drafts.map(draftPickItem), {
        title: "Stitch drafts",
        placeHolder: "Pick a draft to see its sources, then apply or reject it",
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (!picked) return;
      const detail = (await run("stitch.showDraft", [picked.id])) as DraftDetail;
      const lines = describeDraft(detail ?? { id: picked.id });
      const gate = detail?.gate ?? (picked.actionable ? "actionable" : "");
      const choice = await vscode.window.showInformationMessage(
        lines[0],
        { modal: true, detail: lines.slice(1).join("\n") },
        ...draftChoices(gate),
      );
      const reject = "Reject";
      if (choice === "Apply") {
        const result = (await run("stitch.applyDraft", [picked.id])) as { files?: string[]; message?: string } | null;
        const files = result?.files?.length ? `: ${result.files.join(", ")}` : "";
        // "accepted once saved": the log says accepted only once the change is on disk
        void vscode.window.showInformationMessage(`Stitch: ${result?.message ?? `applied draft ${picked.id}${files}`}.`);
      } else if (choice === "Vouch…") {
        const note = await vscode.window.showInputBox({
          title: `Vouch for draft ${picked.id}`,
          prompt: "Why do you trust it without sources? Your note becomes its source, with your name.",
          ignoreFocusOut: true,
          validateInput: (value) => (value.trim() ? undefined : "A vouch needs a note."),
        });
        if (note === undefined || !note.trim()) return;
        const result = (await run("stitch.vouchDraft", [picked.id, note.trim()])) as
          | { gate?: string; reason?: string | null }
          | null;
        const now = result?.gate === "actionable" ? "ready to apply" : `still ${result?.reason ?? result?.gate ?? "not ready"}`;
        void vscode.window.showInformationMessage(`Stitch: vouched for draft ${picked.id}; ${now}.`);
      } else if (choice === reject) {
        const reason = await vscode.window.showInputBox({
          title: `Reject draft ${picked.id}`,
          prompt: "Why? The agent and the report see it.",
          ignoreFocusOut: true,
        });
        if (reason === undefined) return;
        await run("stitch.rejectDraft", reason.trim() ? [picked.id, reason.trim()] : [picked.id]);
        void vscode.window.showInformationMessage(`Stitch: rejected draft ${picked.id}.`);
      }
    },

    "stitch.ui.pendingPrompts": async () => {
      // The server's own command: it lists the unanswered prompts and shows each again as a
      // message with its options (vscode-languageclient makes that a notification), even
      // those dismissed before; the answer goes back through that message.
      const prompts = asPromptList(await run("stitch.pendingPrompts", []));
      if (prompts.length === 0) {
        void vscode.window.showInformationMessage("Stitch: no pending prompts.");
        return;
      }
      const picked = await vscode.window.showQuickPick(prompts.map(promptPickItem), {
        title: promptsTitle(prompts.length),
        placeHolder: PROMPTS_PLACEHOLDER,
        matchOnDescription: true,
        matchOnDetail: true,
      });
      if (picked) await vscode.commands.executeCommand("notifications.showList");
    },

    "stitch.ui.signOffHere": async () => {
      const id = await pointHere();
      if (!id) return;
      const result = (await run("stitch.signOff", [id])) as { stitch_id?: string; signer?: string } | null;
      void vscode.window.showInformationMessage(
        `Stitch: signed off stitch point ${result?.stitch_id ?? id}${result?.signer ? ` as ${result.signer}` : ""}.`,
      );
    },

    // From the palette (the point under the cursor) or the point's "compare streams" lens
    // (its id): the engineer's file against one stream's version, or one diff per stream.
    "stitch.ui.compareStreams": async (pointId?: unknown) => {
      const id = typeof pointId === "string" && pointId ? pointId : await pointHere();
      if (!id) return;
      const comparison = asComparison(await run("stitch.compareStreams", [id]));
      if (!comparison) throw new CommandError("Stitch: the server sent no versions to compare.", false);
      const picks = streamPicks(comparison);
      const picked =
        picks.length === 1
          ? picks[0]
          : await vscode.window.showQuickPick(picks, {
              title: `Compare ${comparison.symbol} with which stream?`,
              placeHolder: "Each opens as a diff with your file (left: the stream's version, read-only)",
            });
      if (!picked) return;
      const mine = vscode.Uri.parse(comparison.uri, true);
      const open = async (side: Side) => {
        const why = notShown(side);
        if (why) {
          void vscode.window.showWarningMessage(why);
          return;
        }
        const uri = vscode.Uri.from({ scheme: STREAM_SCHEME, path: versionPath(comparison, side) });
        versions.set(uri.toString(), side.text ?? "");
        versionChanged.fire(uri);
        await vscode.commands.executeCommand("vscode.diff", uri, mine, diffTitle(comparison, side), {
          preview: false,
        });
      };
      for (const side of picked.sides) await open(side);
    },

    "stitch.ui.openSourceLog": async () => {
      const folder = server.folder();
      if (!folder) {
        void vscode.window.showInformationMessage("Stitch: open a folder first.");
        return;
      }
      // the readable form, from the server (which reads .stitch/ through its indexer)
      const result = (await run("stitch.sourceLog", [])) as { text?: string } | null;
      logText = result?.text ?? "Source log: the server sent nothing.";
      const uri = vscode.Uri.from({ scheme: logScheme, path: "Source log" });
      logChanged.fire(uri);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { preview: false });
    },

    "stitch.ui.showStatus": async () => {
      const status = asStatus(await run("stitch.status", []));
      if (!status) throw new CommandError("Stitch: the server sent no status.", false);
      server.setStatus(status);
      const lines = describeStatus(status);
      server.output.appendLine(`Stitch status at ${new Date().toLocaleString()}:`);
      for (const line of lines) server.output.appendLine(`  ${line}`);
      const choice = await vscode.window.showInformationMessage(
        "Stitch status",
        { modal: true, detail: lines.join("\n") },
        "Show output",
      );
      if (choice === "Show output") server.output.show(true);
    },

    "stitch.ui.menu": async () => {
      if (!server.running) {
        const items = [
          { label: "$(book) Setup instructions", run: () => server.openSetup() },
          { label: "$(refresh) Restart server", run: () => server.restart("asked from the menu", true) },
          { label: "$(output) Show server output", run: () => Promise.resolve(server.output.show(true)) },
        ];
        const pick = await vscode.window.showQuickPick(items, { title: "Stitch (server not running)" });
        await pick?.run();
        return;
      }
      const pick = await vscode.window.showQuickPick(menuItems(server.status), { title: "Stitch" });
      if (pick) await vscode.commands.executeCommand(pick.command);
    },

    "stitch.ui.restartServer": () => server.restart("asked by the user", true),

    "stitch.ui.showOutput": () => Promise.resolve(server.output.show(true)),
  };

  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(handler)));
  }
}

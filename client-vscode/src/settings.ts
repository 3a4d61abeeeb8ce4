/**
 * How `stitch.server.command` is read, given Workspace Trust. Pure (no 'vscode' import).
 *
 * The setting is machine-scoped, so VS Code already refuses it in workspace settings; this is
 * the second lock: in an untrusted workspace only the user's (global) value is ever used, read
 * through `inspect()`, whatever a workspace or folder settings file says.
 */

/** The fields of `WorkspaceConfiguration.inspect()` this module looks at. */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

export interface CommandSetting {
  /** Executable followed by its arguments; undefined when not set (or unusable). */
  command?: string[];
  /** Why a value that was present is not used, for the log. */
  ignored?: string;
}

function isCommand(value: unknown): value is string[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((part) => typeof part === "string") &&
    value[0].trim() !== ""
  );
}

/**
 * The command the user configured, or none.
 *
 * `effective` is `get()`'s answer (VS Code's own merge, which already leaves out
 * machine-scoped values from workspace files); it is used only in a trusted workspace.
 */
export function serverCommandSetting(
  inspected: Inspected<unknown> | undefined,
  effective: unknown,
  trusted: boolean,
): CommandSetting {
  const fromWorkspace = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  const value = trusted ? effective : inspected?.globalValue;
  const notes: string[] = [];
  if (!trusted && isCommand(fromWorkspace)) {
    notes.push(
      "the workspace's stitch.server.command is ignored: this workspace is not trusted",
    );
  }
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    return notes.length ? { ignored: notes.join("; ") } : {};
  }
  if (!isCommand(value)) {
    notes.push(
      "stitch.server.command must be a list of strings, the executable first, e.g. " +
        '["/path/to/python", "-m", "stitch_ls", "serve"]',
    );
    return { ignored: notes.join("; ") };
  }
  return notes.length ? { command: [...value], ignored: notes.join("; ") } : { command: [...value] };
}

/** Whether `file` lies inside one of `folders` (all absolute paths; `sep` is the separator). */
export function isInside(file: string, folders: readonly string[], sep = "/"): boolean {
  const norm = (p: string) => (p.endsWith(sep) ? p : p + sep);
  const caseless = sep === "\\";
  const fold = (p: string) => (caseless ? p.toLowerCase() : p);
  return folders.some((folder) => fold(file).startsWith(fold(norm(folder))));
}

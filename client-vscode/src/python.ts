/**
 * The Python extension (ms-python.python), when installed: which interpreter the user chose
 * for a folder, and when that choice changes. Only the few API members Stitch uses are typed
 * here, so the extension needs no dependency on the Python extension's npm package.
 */
import { execFile } from "node:child_process";
import * as vscode from "vscode";

export const PYTHON_EXTENSION_ID = "ms-python.python";

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable: { uri?: vscode.Uri };
}

interface ActiveEnvironmentPathChangeEvent extends EnvironmentPath {
  resource?: vscode.WorkspaceFolder | vscode.Uri;
}

interface PythonExtensionApi {
  environments: {
    getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
    resolveEnvironment(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
    readonly onDidChangeActiveEnvironmentPath: vscode.Event<ActiveEnvironmentPathChangeEvent>;
  };
}

function withTimeout<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms / 1000} s`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

async function pythonApi(): Promise<PythonExtensionApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) return undefined;
  const api = extension.isActive
    ? extension.exports
    : await withTimeout(extension.activate(), 20_000, "the Python extension");
  return api?.environments ? api : undefined;
}

/** The interpreter the Python extension has selected for `folder`, if it is installed. */
export async function selectedInterpreter(folder: vscode.WorkspaceFolder): Promise<string | undefined> {
  const api = await pythonApi();
  if (!api) return undefined;
  const active = api.environments.getActiveEnvironmentPath(folder.uri);
  const resolved = await withTimeout(
    api.environments.resolveEnvironment(active),
    20_000,
    "the Python extension",
  );
  return resolved?.executable.uri?.fsPath;
}

/** Calls `listener` whenever the selected interpreter changes (no-op without the extension). */
export async function onInterpreterChanged(listener: () => void): Promise<vscode.Disposable | undefined> {
  try {
    const api = await pythonApi();
    return api?.environments.onDidChangeActiveEnvironmentPath(() => listener());
  } catch {
    return undefined;
  }
}

/** Whether `python -I -c "import stitch_ls"` succeeds (within 20 s): isolated (-I), so a
 * `stitch_ls` folder in the workspace is never imported in its place. */
export function canImportStitch(python: string, cwd?: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      python,
      ["-I", "-c", "import stitch_ls"],
      { cwd, timeout: 20_000, windowsHide: true },
      (error) => resolve(!error),
    );
  });
}

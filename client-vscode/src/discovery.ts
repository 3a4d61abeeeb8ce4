/**
 * Which command starts the Stitch server, tried in a fixed order:
 *
 *   1. the `stitch.server.command` setting (user/machine settings only, see settings.ts);
 *   2. the interpreter selected in the Python extension, as `<python> -m stitch_ls serve`,
 *      only if `<python> -c "import stitch_ls"` succeeds;
 *   3. `stitch-ls serve` found on PATH.
 *
 * This follows the VS Code Python-tool template's interpreter discovery. Pure: every probe of
 * the machine is an injected function, so the order is unit-tested with fakes.
 */

export type ServerSource = "setting" | "python" | "path";

export interface ServerCommand {
  command: string;
  args: string[];
  source: ServerSource;
  /** How it was found, for the log and the status tooltip. */
  detail: string;
}

export interface DiscoveryProbes {
  /** The configured command, already filtered by Workspace Trust. */
  settingCommand?: readonly string[];
  /** The Python extension's selected interpreter, if that extension is installed. */
  pythonInterpreter: () => Promise<string | undefined>;
  /** Whether an interpreter may be run here at all (e.g. not one inside an untrusted folder). */
  pythonAllowed: (python: string) => string | undefined;
  /** Whether `python -c "import stitch_ls"` succeeds. */
  canImportStitch: (python: string) => Promise<boolean>;
  /** An executable's absolute path if it is found (a path that exists, or a name on PATH). */
  resolveExecutable: (nameOrPath: string) => string | undefined;
}

export interface Discovery {
  found?: ServerCommand;
  /** One line per candidate that was passed over, and why. */
  skipped: string[];
}

export const SERVER_EXECUTABLE = "stitch-ls";

export async function discoverServer(probes: DiscoveryProbes): Promise<Discovery> {
  const skipped: string[] = [];

  const setting = probes.settingCommand;
  if (setting && setting.length > 0) {
    const [executable, ...args] = setting;
    const resolved = probes.resolveExecutable(executable);
    if (resolved) {
      return {
        found: { command: resolved, args, source: "setting", detail: "stitch.server.command" },
        skipped,
      };
    }
    skipped.push(`stitch.server.command: ${executable} was not found`);
  } else {
    skipped.push("stitch.server.command is not set");
  }

  let python: string | undefined;
  try {
    python = await probes.pythonInterpreter();
  } catch (error) {
    skipped.push(`Python extension: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (python) {
    const refusal = probes.pythonAllowed(python);
    if (refusal) {
      skipped.push(`Python interpreter ${python}: ${refusal}`);
    } else if (await probes.canImportStitch(python)) {
      return {
        found: {
          command: python,
          args: ["-I", "-m", "stitch_ls", "serve"],
          source: "python",
          detail: `the Python extension's interpreter ${python}`,
        },
        skipped,
      };
    } else {
      skipped.push(`Python interpreter ${python}: stitch_ls is not installed in it`);
    }
  } else if (python === undefined && !skipped.some((s) => s.startsWith("Python extension"))) {
    skipped.push("no interpreter selected in the Python extension (or it is not installed)");
  }

  const onPath = probes.resolveExecutable(SERVER_EXECUTABLE);
  if (onPath) {
    return {
      found: { command: onPath, args: ["serve"], source: "path", detail: `${onPath} on PATH` },
      skipped,
    };
  }
  skipped.push(`${SERVER_EXECUTABLE} is not on PATH`);
  return { skipped };
}

/**
 * Find an executable the way a shell would: a name with a separator is a path (relative to
 * `cwd`), a bare name is looked up in PATH (with PATHEXT on Windows).
 */
export function resolveExecutable(
  nameOrPath: string,
  env: { PATH?: string; PATHEXT?: string },
  platform: string,
  isExecutableFile: (path: string) => boolean,
  cwd?: string,
): string | undefined {
  const windows = platform === "win32";
  const sep = windows ? "\\" : "/";
  const delimiter = windows ? ";" : ":";
  const exts = windows ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";")] : [""];
  const hasSep = nameOrPath.includes("/") || (windows && nameOrPath.includes("\\"));
  const candidates = (base: string) => exts.map((ext) => base + ext.toLowerCase());
  if (hasSep) {
    const absolute =
      nameOrPath.startsWith("/") || (windows && /^[a-zA-Z]:[\\/]/.test(nameOrPath))
        ? nameOrPath
        : cwd
          ? `${cwd}${sep}${nameOrPath}`
          : nameOrPath;
    return candidates(absolute).find(isExecutableFile);
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const found = candidates(`${dir}${dir.endsWith(sep) ? "" : sep}${nameOrPath}`).find(
      isExecutableFile,
    );
    if (found) return found;
  }
  return undefined;
}

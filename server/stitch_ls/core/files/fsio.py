"""Writes that never leave a torn file and appends that never interleave.

Every file Stitch writes goes through here: a whole-file write is a temp file in the same
folder, flushed and fsynced, then renamed over the target; an append is one `write` of a
whole line under an exclusive `flock`, so two processes appending at once keep every line.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stitch_ls.core.files.userdir import in_user_state


def check_stitch_folders(path: Path) -> None:
    """Refuse a path inside `.stitch` unless `.stitch` and every folder under it on the way
    are real folders: a repository can commit `.stitch` (or `.stitch/drafts`) as a symlink,
    which would send Stitch's writes (and removals) wherever it points."""
    parts = path.parts
    if ".stitch" not in parts[:-1]:
        return
    top = len(parts) - 1 - parts[:-1][::-1].index(".stitch") - 1
    folder = Path(*parts[: top + 1])
    for name in parts[top + 1 : -1]:
        _real_folder(folder)
        folder = folder / name
    _real_folder(folder)


def _real_folder(folder: Path) -> None:
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return  # made below, as a real folder
    if not stat.S_ISDIR(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a folder"
        raise OSError(f"{folder} is {kind}: Stitch writes nothing through it")


def _in_stitch(path: Path) -> tuple[Path, str] | None:
    """(the workspace root, the path under it) for a path inside a `.stitch` folder."""
    parts = path.parts
    if ".stitch" not in parts[:-1]:
        return None
    top = len(parts) - 2 - parts[:-1][::-1].index(".stitch")
    return Path(*parts[:top]), "/".join(parts[top:])


# The per-user state folder is the engineer's alone (`userdir.in_user_state`): every file Stitch
# writes there is 0600 and the folder 0700, whatever the umask, and an older, looser one is
# tightened on the next write.
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def make_folder(folder: Path) -> None:
    """Make the folder a file is written into (and its parents): the per-user state folder
    0700, tightened to it when it exists with more (its parents are not Stitch's)."""
    if not in_user_state(folder):
        folder.mkdir(parents=True, exist_ok=True)
        return
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if stat.S_IMODE(os.stat(folder).st_mode) != PRIVATE_FOLDER:
        os.chmod(folder, PRIVATE_FOLDER)


def _open_created(path: Path, flags: int, shared_mode: int) -> int:
    """`os.open(path, flags | O_CREAT)` after making its folder, with the per-user folder's
    mode for a file there (an existing one tightened)."""
    make_folder(path.parent)
    if not in_user_state(path):
        return os.open(path, flags | os.O_CREAT, shared_mode)
    fd = os.open(path, flags | os.O_CREAT, PRIVATE_FILE)
    if stat.S_IMODE(os.fstat(fd).st_mode) != PRIVATE_FILE:
        os.fchmod(fd, PRIVATE_FILE)
    return fd


def atomic_write(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` so readers see the old file or the new one, never half.
    Under `.stitch`, through the path-safe opener (`write_inside`): a folder swapped for a
    symlink meanwhile cannot send the write elsewhere. The file keeps the mode of the one it
    replaces (a new one gets the umask's); in the per-user state folder it is always 0600."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    check_stitch_folders(path)
    inside = _in_stitch(path)
    if inside is not None:
        write_inside(*inside, payload)
        return
    private = in_user_state(path)
    make_folder(path.parent)
    mode: int | None = PRIVATE_FILE if private else None
    if not private:
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(path).st_mode)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, PRIVATE_FILE if private else 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def append_line(path: Path, line: str) -> None:
    """Append one line (a newline is added) as a single locked write."""
    if "\n" in line:
        raise ValueError("a log line must not contain a newline")
    check_stitch_folders(path)
    payload = (line + "\n").encode("utf-8")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    inside = _in_stitch(path)
    if inside is not None:  # the path-safe opener: no symlinked folder on the way
        folder, name = _open_parent(*inside, create=True)
        try:
            fd = os.open(name, flags, 0o644, dir_fd=folder)
        finally:
            os.close(folder)
    else:
        fd = _open_created(path, flags, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            written = os.write(fd, payload)
            if written != len(payload):
                raise OSError(f"short write to {path}")
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of a shared file."""
    fd = _open_created(lock_path, os.O_RDWR | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def read_bytes_limited(path: Path, limit: int) -> bytes:
    """A file's bytes, refusing anything but a regular file of at most `limit` bytes.

    Opened without blocking (a FIFO in its place would otherwise hang the reader until a
    writer came) and checked on the open descriptor (a device such as /dev/zero, a folder or
    a socket is refused, whatever a symlink to it is called); the read itself stops at
    `limit` + 1 bytes, so a file that grows meanwhile is still refused, never read whole.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise ValueError(f"file is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise ValueError(f"file is over the limit of {limit:,} bytes")
    return data


def read_text_limited(path: Path, limit: int) -> str:
    """Read a UTF-8 file, refusing files over `limit` bytes and non-regular files (agents
    may write anything, and put anything where a file was)."""
    raw = read_bytes_limited(path, limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None


# -- writes inside the workspace, walked by folder descriptor ---------------------------------

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_parent(root: Path, relative: str, *, create: bool) -> tuple[int, str]:
    """A descriptor of the folder holding `relative` under `root`, and the file's name.

    Walked one component at a time from `root` with O_NOFOLLOW: a symlink anywhere on the
    way is refused, including one swapped in for a folder while the walk runs (each step
    opens the name inside the folder already held, never a path from the top again).
    """
    *folders, name = relative.split("/")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in folders:
            try:
                child = _open_folder(fd, part, create)
            except FileNotFoundError:
                raise
            except OSError as exc:  # ELOOP / ENOTDIR: a link or a file where a folder was
                raise ValueError(f"{relative!r}: {part} is not a plain folder") from exc
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd, name


def _open_folder(parent: int, name: str, create: bool) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o777, dir_fd=parent)
    return os.open(name, _DIR_FLAGS, dir_fd=parent)


def write_inside(root: Path, relative: str, data: str | bytes) -> None:
    """Replace a workspace file atomically without following any symlink, keeping the
    mode of the file it replaces (an executable stays executable)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder, name = _open_parent(root, relative, create=True)
    tmp = f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        try:
            info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        else:
            if not stat.S_ISREG(info.st_mode):
                raise ValueError(f"{relative!r} is not a regular file")
            mode = stat.S_IMODE(info.st_mode)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.rename(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=folder)
            raise
        os.fsync(folder)
    finally:
        os.close(folder)


def read_inside(root: Path, relative: str, limit: int) -> str:
    """A workspace file's text, reached without following symlinks, bounded, regular only."""
    folder, name = _open_parent(root, relative, create=False)
    try:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ValueError(f"{relative!r} is a symlink") from None
            raise
    finally:
        os.close(folder)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{relative!r} is not a regular file")
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(f"{relative!r} is over the limit of {limit:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None


def unlink_inside(root: Path, relative: str) -> None:
    """Remove a workspace file (never a folder, never through a symlinked folder)."""
    folder, name = _open_parent(root, relative, create=False)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=folder)
    finally:
        os.close(folder)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


MAX_NESTING = 64  # containers deep in any JSON or TOML file Stitch reads (its own stay below 8)
NESTED_TOO_DEEPLY = f"nested too deeply (more than {MAX_NESTING} levels)"


def parse_json(text: str | bytes) -> Any:
    """`json.loads` for every JSON file and line Stitch reads (drafts, prompts, the engineer's
    state, the journal, logs, hook events, caches): input nested deeper than `MAX_NESTING` is
    one ValueError, whatever depth the interpreter's stack happens to allow here. Agents may
    write `[[[[…` a thousand deep; parsed, it would break whatever walks it next (validation,
    the pipe to the language server, a `repr`) far from the file that caused it."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(NESTED_TOO_DEEPLY) from None
    if isinstance(text, str):
        opened = text.count("[") + text.count("{")
    else:
        opened = text.count(b"[") + text.count(b"{")
    if opened > MAX_NESTING:  # fewer brackets cannot nest deeper
        _check_nesting(value)
    return value


def parse_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads` with the same bound as `parse_json` (dotted keys nest without
    brackets, so the parsed value is always walked). A syntax error is raised as
    `tomllib.TOMLDecodeError` (it names the line); too deep is a plain ValueError."""
    # start-up: the guard's path loads fsio and reads no TOML
    import tomllib

    try:
        value = tomllib.loads(text)
    except RecursionError:
        raise ValueError(NESTED_TOO_DEEPLY) from None
    _check_nesting(value)
    return value


def _check_nesting(value: Any) -> None:
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ValueError(NESTED_TOO_DEEPLY)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def unlink_path(path: Path) -> None:
    """Remove a file; under `.stitch`, reached through the path-safe opener."""
    inside = _in_stitch(path)
    with contextlib.suppress(FileNotFoundError):
        if inside is not None:
            unlink_inside(*inside)
        else:
            path.unlink()


def remove_temps_inside(root: Path, relative: str) -> None:
    """Remove the temp files `write_inside` leaves beside `relative` when it is killed."""
    try:
        folder, name = _open_parent(root, relative, create=False)
    except (OSError, ValueError):
        return
    try:
        for entry in os.listdir(folder):
            if _is_temp_of(entry, name):
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    os.unlink(entry, dir_fd=folder)
    finally:
        os.close(folder)


def temps_of(path: Path) -> list[Path]:
    """The temp files killed writers of `path` (`atomic_write`) left beside it: those whose
    writer is gone. A temp file's name holds its writer's pid (an older Stitch's held none:
    gone too), so no lock is needed to tell a leftover from a write under way."""
    try:
        entries = os.listdir(path.parent)
    except OSError:
        return []
    return [
        path.parent / entry
        for entry in entries
        if _is_temp_of(entry, path.name) and _writer_gone(entry[len(path.name) + 2 : -4])
    ]


def remove_temps(path: Path) -> None:
    """Remove what `temps_of(path)` names."""
    for temp in temps_of(path):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            temp.unlink()


def _writer_gone(middle: str) -> bool:
    """From a temp name's `<pid>.<random>` part: whether that process no longer runs."""
    pid, _, _ = middle.partition(".")
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):
        return True
    except PermissionError:  # it runs, as someone else
        return False
    return _zombie(int(pid))


def _zombie(pid: int) -> bool:
    """Whether `pid` was killed and waits for its parent to collect it (Linux; elsewhere,
    False): it writes nothing more, so what it left is what a killed writer left."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat_line = handle.read(4096)
    except OSError:
        return False
    # `pid (comm) S ...`: the state follows the last ')' (a name may hold parentheses)
    return stat_line[stat_line.rfind(b")") + 2 : stat_line.rfind(b")") + 3] == b"Z"


def _is_temp_of(entry: str, name: str) -> bool:
    return entry.startswith(f".{name}.") and entry.endswith(".tmp")

"""Exact answers of the small policy helpers: escaping, links, path checks, the trust clock.

Written against surviving mutants (docs/testing.md): each assertion pins a value or a
message a person reads, so a changed comparison, constant or message fails here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stitch_ls.core.files.paths import check_relative_path, resolve_inside
from stitch_ls.core.policy.trust import budget_state, minute_of, prune_arrivals, record_activity
from stitch_ls.core.safetext import escape_markdown, markdown_ref, one_line, plain, safe_link

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


# -- render -------------------------------------------------------------------------------


def test_plain_and_one_line_replace_controls_with_one_replacement_character():
    assert plain("a\x1b[31mb\u202ec\x7f") == "a\ufffd[31mb\ufffdc\ufffd"
    assert plain("tab\tand\nnewline") == "tab\tand\nnewline"
    assert one_line("a\rb\nc\td\x07") == "a b c d\ufffd"


def test_escape_markdown_escapes_only_what_markdown_would_misread():
    assert escape_markdown("a\r\nb") == "a  b"
    assert escape_markdown("*x* [l](u) <b> `c` #h") == "\\*x\\* \\[l\\](u) \\<b\\> \\`c\\` #h"
    for ordinary in ["claude-code", "ci#4411", "2026-12-06", "0.86", "eng@team.dev", "f(x).y!"]:
        assert escape_markdown(ordinary) == ordinary
    assert escape_markdown("snake_case, _emphasis_") == "snake_case, \\_emphasis\\_"
    assert escape_markdown("&lt;b&gt; R&D") == "\\&lt;b\\&gt; R&D"  # entities, not ampersands
    # what opens a block where the text starts: headings, list items, rules
    assert escape_markdown("# Title") == "\\# Title"
    assert escape_markdown("1. first") == "1\\. first" and escape_markdown("1.5 kg") == "1.5 kg"
    assert escape_markdown("- item") == "\\- item" and escape_markdown("---") == "\\---"
    assert escape_markdown("a | b ~~c~~") == "a \\| b \\~\\~c\\~\\~"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "my ws"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "api.md").write_text("x")
    (folder / "docs" / "a(b).md").write_text("x")
    return folder


def test_web_links_are_kept_only_when_plain(root: Path):
    assert safe_link("https://example.com/spec", root) == "https://example.com/spec"
    assert safe_link("  http://example.com/x  ", root) == "http://example.com/x"
    long_ok = "https://example.com/" + "a" * (2000 - len("https://example.com/"))
    assert safe_link(long_ok, root) == long_ok
    assert safe_link("HTTPS://example.com", root) == "HTTPS://example.com"  # still https
    assert safe_link("https://example.com/X", root) == "https://example.com/X"
    for ref in [
        long_ok + "a",  # over 2000 characters
        "https://example.com/a b",
        "https://example.com/\x01",
        "https://example.com/a\u2028b",
        "https://example.com/(x)",
        "https://example.com/'x'",
        "http:///no-host",
        "javascript:alert(1)",
        "command:workbench.action.terminal.new",
        "file:///etc/passwd",
        "/etc/passwd",
        "\\\\server\\share",
        "C:docs/api.md",
        "docs/api.md:1",
    ]:
        assert safe_link(ref, root) is None, ref


def test_workspace_links_point_at_the_real_file(root: Path):
    api = (root / "docs" / "api.md").resolve().as_uri()
    assert safe_link("docs/api.md", root) == api
    assert safe_link("docs/api.md#section#two", root) == api
    assert safe_link("docs/a(b).md", root).endswith("/docs/a%28b%29.md")
    for ref in ["docs/missing.md", "docs/../../outside.md", "#only-a-fragment", "."]:
        assert safe_link(ref, root) is None, ref
    # refused for their form even where such a file exists: a way back up, an absolute
    # path (into the workspace itself), a backslash start, a colon
    (root / "\\odd.md").write_text("x")
    (root / "docs" / "a:b.md").write_text("x")
    for ref in ["docs/../docs/api.md", str(root / "docs" / "api.md"), "\\odd.md", "docs/a:b.md"]:
        assert safe_link(ref, root) is None, ref
    plain_root = root.parent / "plain"  # no space in it: the absolute path is refused as such
    (plain_root / "docs").mkdir(parents=True)
    (plain_root / "docs" / "api.md").write_text("x")
    assert safe_link("docs/api.md", plain_root) is not None
    assert safe_link(str(plain_root / "docs" / "api.md"), plain_root) is None
    assert safe_link("docs", root) == (root / "docs").resolve().as_uri()  # a folder exists


def test_markdown_ref_links_only_what_safe_link_allows(root: Path):
    api = (root / "docs" / "api.md").resolve().as_uri()
    assert " " not in api  # as_uri() encodes the folder's space: no <…> form is needed
    assert markdown_ref("docs/api.md", root) == f"[docs/api.md]({api})"
    assert (
        markdown_ref("https://example.com/x", root)
        == "[https://example.com/x](https://example.com/x)"
    )
    assert markdown_ref("docs/missing.md", root) == "docs/missing.md"


# -- paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "path must be 1-1024 characters"),
        ("a" * 1025, "path must be 1-1024 characters"),
        ("a\x00b", "path must not contain NUL or backslashes"),
        ("a\\b", "path must not contain NUL or backslashes"),
        ("/etc/passwd", "path must be relative to the workspace, not absolute: '/etc/passwd'"),
        ("c:/x", "path must be relative to the workspace, not absolute: 'c:/x'"),
        ("Z:x", "path must be relative to the workspace, not absolute: 'Z:x'"),
        (".", "path names no file"),
        ("./", "path names no file"),
        ("a/../../b", "path must not leave the workspace: 'a/../../b'"),
        (".git/config", "drafts may not write into .git/"),
        ("src/.Stitch/x", "drafts may not write into .Stitch/"),
    ],
)
def test_check_relative_path_refuses_with_the_exact_reason(raw: str, message: str):
    with pytest.raises(ValueError) as caught:
        check_relative_path(raw)
    assert str(caught.value) == message


def test_check_relative_path_normalises_and_accepts_the_longest_path():
    assert check_relative_path("./src//a/./b.py") == "src/a/b.py"
    assert check_relative_path("a" * 1024) == "a" * 1024
    assert check_relative_path("1:x") == "1:x"  # only a letter makes a drive


def test_resolve_inside_names_the_escape_and_the_reserved_folder(tmp_path: Path):
    root = tmp_path / "ws"
    (root / ".stitch").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "out").symlink_to(tmp_path)
    (root / "src" / "st").symlink_to(root / ".stitch")
    assert resolve_inside(root, "src/a.py") == (root / "src" / "a.py").resolve()
    assert resolve_inside(root, ".") == root.resolve()
    with pytest.raises(ValueError) as caught:
        resolve_inside(root, "out/x")
    assert str(caught.value) == "'out/x' leads outside the workspace"
    with pytest.raises(ValueError) as caught:
        resolve_inside(root, "src/st/config.toml")
    assert str(caught.value) == "'src/st/config.toml' leads into .stitch/"


# -- trust --------------------------------------------------------------------------------


def test_minute_of_floors_before_the_epoch_too():
    assert minute_of(datetime(1969, 12, 31, 23, 59, 30, tzinfo=UTC)) == -1
    assert minute_of(datetime(1970, 1, 1, 0, 1, 59, tzinfo=UTC)) == 1


def test_activity_keeps_each_minute_once_even_when_the_clock_goes_back():
    minutes = record_activity([], T0)
    minutes = record_activity(minutes, T0 + timedelta(minutes=5))
    assert record_activity(minutes, T0) == [minute_of(T0)]
    assert record_activity(minutes, T0 + timedelta(minutes=5, seconds=30)) == minutes


def test_prune_keeps_arrivals_from_the_start_of_the_window_on():
    minutes = [minute_of(T0), minute_of(T0) + 1]
    arrivals = {
        "before": T0 - timedelta(seconds=1),
        "at": T0,
        "after": T0 + timedelta(minutes=1),
    }
    assert prune_arrivals(arrivals, minutes) == {"at": T0, "after": arrivals["after"]}
    assert prune_arrivals(arrivals, []) == arrivals
    assert budget_state(arrivals, minutes, 2).used == 2


def test_commit_pages_come_from_https_and_ssh_remotes_only():
    from stitch_ls.core.record.logbook import commit_web

    for remote, web in [
        ("git@github.com:acme/shop.git", "https://github.com/acme/shop"),
        ("https://github.com/acme/shop.git", "https://github.com/acme/shop"),
        (
            "https://user:token@gitlab.example.com/group/sub/shop",
            "https://gitlab.example.com/group/sub/shop",
        ),
        ("ssh://git@git.example.com:2222/acme/shop.git", "https://git.example.com/acme/shop"),
        ("https://git.example.com:8443/acme/shop/", "https://git.example.com:8443/acme/shop"),
    ]:
        assert commit_web(remote) == web, remote
    for other in [
        "http://github.com/acme/shop.git",
        "file:///srv/git/shop.git",
        "git://github.com/acme/shop.git",
        "/srv/git/shop.git",
        "../shop",
        "https://github.com/acme",
        'https://evil.example/a"><script>/x',
        "https://github.com/acme/../shop",
        None,
    ]:
        assert commit_web(other) is None, other


def test_every_door_names_a_state_with_the_core_s_word():
    """The editors keep their own copies of the words (no server round trip to draw a list):
    each says what the core says."""
    from stitch_ls.core.words import STATE_WORDS

    repo = Path(__file__).resolve().parents[2]
    ts = (repo / "client-vscode" / "src" / "drafts.ts").read_text()
    table = ts.split("const GATE_WORDS", 1)[1].split("};", 1)[0]
    vscode = dict(re.findall(r'(\w+): "([^"]+)"', table))
    lua = (repo / "client-nvim" / "lua" / "stitch" / "init.lua").read_text()
    block = lua.split("M.STATE_WORDS = {", 1)[1].split("}", 1)[0]
    nvim = dict(re.findall(r"(\w+) = '([^']+)'", block))
    for door in (vscode, nvim):
        assert door and all(STATE_WORDS[state] == word for state, word in door.items()), door

"""The records of the file formats: read through pydantic, written as plain JSON, and
carried to the language server without pydantic."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from stitch_ls.core.drafts.model import Draft, SourceLogEntry
from stitch_ls.core.policy.state import State
from stitch_ls.core.records import validation_errors
from workspaces import draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_written_json_reads_back_as_the_same_record():
    original = Draft.from_data(draft("a", created="2026-11-28T09:12:00.250+02:00"))
    text = original.to_json(indent=2, exclude_none=True)
    assert Draft.from_json(text) == original
    data = json.loads(text)
    assert data["created"] == "2026-11-28T09:12:00.250000+02:00"
    assert "symbol" not in data["edits"][0]  # None left out when asked
    compact = original.to_json()
    assert '"symbol":null' in compact and "\n" not in compact


def test_times_in_utc_are_written_with_z_as_pydantic_writes_them():
    state = State(focus_until=T0, unsourced_arrivals={"d": T0 + timedelta(minutes=1)})
    data = json.loads(state.to_json())
    assert data["focus_until"] == "2026-11-30T09:00:00Z"
    assert data["unsourced_arrivals"] == {"d": "2026-11-30T09:01:00Z"}
    assert State.from_json(state.to_json()) == state


def test_validated_times_carry_a_stdlib_zone_so_records_unpickle_without_pydantic():
    entry = SourceLogEntry.from_data(
        {
            "at": "2026-11-30T09:00:00+01:00",
            "draft": "a",
            "title": "t",
            "stream": "s",
            "agent": "bot",
            "confidence": 0.9,
            "sources": [],
            "evidence": [],
            "accepted_by": "dev",
            "files": ["a.py"],
        }
    )
    record = Draft.from_data(draft("a"))
    assert type(entry.at.tzinfo) is timezone and entry.at.utcoffset() == timedelta(hours=1)
    assert type(record.created.tzinfo) is timezone
    probe = (
        "import pickle, sys; pickle.loads(sys.stdin.buffer.read()); "
        "print(any(m.startswith('pydantic') for m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        input=pickle.dumps((entry, record)),
        capture_output=True,
        check=True,
    )
    assert loaded.stdout.strip() == b"False"


def test_a_bad_record_is_one_value_error_with_pydantic_s_locations():
    body = draft("a", confidence=1.5)
    with pytest.raises(ValueError) as caught:
        Draft.from_data(body)
    [error] = validation_errors(caught.value)
    assert error["loc"] == ("confidence",) and "less than or equal to 1" in error["msg"]
    assert validation_errors(ValueError("plain")) == [
        {"loc": (), "msg": "plain", "type": "value_error"}
    ]

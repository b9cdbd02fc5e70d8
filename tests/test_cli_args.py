"""Shared CLI arguments: ids are checked before anything runs (exit 2, one line)."""

from __future__ import annotations

import pytest

from rrag.cli.main import build_parser, main


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "--project-id", "0"],
        ["sync", "--project-id", "abc"],
        ["ask", "why", "--project-id", "-3"],
        ["search", "ldap", "--project-id", str(2**31)],
        ["similar", "0"],
        ["ops", "soak", "--project-id", "0"],
    ],
)
def test_bad_ids_exit_2_naming_the_problem(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "rrag: error:" in err
    assert "--project-id" in err or "issue_id" in err
    assert "Traceback" not in err


def test_repeated_project_ids_are_collected() -> None:
    args = build_parser().parse_args(["sync", "--project-id", "3", "--project-id", "7"])
    assert args.project_ids == [3, 7]
    assert build_parser().parse_args(["sync"]).project_ids is None

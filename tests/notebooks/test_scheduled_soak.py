"""The scheduled soak of docs/operations.md: its command line, run as written.

The command is read from the doc (the ``sh`` block after ``<!-- soak-command -->``), so
doc and test cannot drift; the systemd unit's ExecStart and the cron line must be the
same command once their own escapes (``$$``/``%%``, ``\\%``) are undone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.notebooks.helpers import ROOT, summary_of

DOC = ROOT / "docs" / "operations.md"


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.M | re.S)


def soak_command() -> str:
    text = DOC.read_text()
    after = text.split("<!-- soak-command -->\n", 1)[1]
    block = re.match(r"```sh\n(.*?)\n```", after, flags=re.S)
    assert block is not None, "no sh block right after <!-- soak-command -->"
    return block.group(1)


def test_systemd_and_cron_run_the_documented_command() -> None:
    text, command = DOC.read_text(), soak_command()
    exec_start = re.search(r"^ExecStart=/bin/sh -c '(.*)'$", text, flags=re.M)
    assert exec_start is not None
    assert exec_start.group(1).replace("$$", "$").replace("%%", "%") == command
    cron = [line for block in _blocks(text, "cron") for line in block.splitlines()]
    assert len(cron) == 1
    prefix = "0 3 * * * cd /srv/rrag && set -a && . /etc/rrag/soak.env && set +a && "
    assert cron[0].startswith(prefix)
    assert cron[0].removeprefix(prefix).replace(r"\%", "%") == command


def test_the_units_parse(tmp_path: Path) -> None:
    text = DOC.read_text()
    units = _blocks(text, "ini")
    assert len(units) == 2
    for name, body in zip(("rrag-soak.service", "rrag-soak.timer"), units, strict=True):
        (tmp_path / name).write_text(body)
    files = [str(tmp_path / "rrag-soak.service"), str(tmp_path / "rrag-soak.timer")]
    proc = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *files], capture_output=True, text=True
    )
    # An unknown key is only a warning (exit 0): any output at all is a finding.
    assert (proc.returncode, proc.stderr + proc.stdout) == (0, "")


def _install_dir(tmp_path: Path) -> Path:
    """A checkout's layout for the command: runbooks/ and .venv/bin/papermill (ours)."""
    home = tmp_path / "srv"
    (home / ".venv" / "bin").mkdir(parents=True)
    (home / "runbooks").symlink_to(ROOT / "runbooks")
    (home / ".venv" / "bin" / "papermill").symlink_to(Path(sys.executable).parent / "papermill")
    return home


@pytest.mark.redmine
@pytest.mark.slow
def test_the_documented_command_writes_a_dated_audit_copy(redmine: Any, tmp_path: Path) -> None:
    key_file = tmp_path / "redmine.key"
    key_file.write_text(redmine.api_key)
    audit = tmp_path / "audit"
    env = {
        **os.environ,
        "SOAK_REDMINE_URL": redmine.base_url,
        "SOAK_KEY_FILE": str(key_file),
        "SOAK_PROJECT_IDS": "4",
        "SOAK_ITERATIONS": "2",
        "SOAK_DATA_DIR": str(tmp_path / "data"),
        "SOAK_AUDIT_DIR": str(audit),
    }
    proc = subprocess.run(
        ["/bin/sh", "-c", soak_command()],
        cwd=_install_dir(tmp_path),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    copies = sorted(p.name for p in audit.iterdir())
    assert len(copies) == 2 and re.fullmatch(r"soak-\d{4}-\d\d-\d\d\.ipynb", copies[0]), copies
    assert copies[1] == copies[0].replace(".ipynb", ".json")
    summary = summary_of(audit / copies[0])
    assert summary["live"] and summary["passed"] and summary["iterations"] == 2
    assert redmine.api_key not in proc.stdout + proc.stderr

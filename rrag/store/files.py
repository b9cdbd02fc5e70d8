"""Owner-only files and directories: who may read what rrag writes to disk.

The data directory holds every issue text rrag has synced, private issues and notes
included, and every backup holds the same; other local users must not read any of it.
So whatever the process umask, rrag creates its directories 0700 and its files 0600:

* a directory is made with mode 0700 and then ``chmod``-ed, because ``mkdir``'s mode is
  masked by the umask (and a umask of 0 would otherwise leave it wider than asked);
* a file is opened with mode 0600 and ``fchmod``-ed through the open descriptor before a
  byte is written, so there is no window in which the data is readable by others;
* SQLite creates ``-wal``, ``-shm`` and ``-journal`` files itself, with the permissions of
  the database file they belong to, so the database file is created 0600 first
  (:func:`touch_private`) and SQLite is only then pointed at it.

A data directory made by an older rrag (0755 / 0644) is tightened when the store opens
(:func:`tighten_data_dir`: the directory and rrag's own files in it, nothing else); a
directory rrag did not create (a backup ``--output-dir`` such as ``/tmp``) is never
changed, only what rrag puts in it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: group and other permission bits: none of them may be set on rrag's files
SHARED_BITS = 0o077
_RRAG_PREFIXES = ("rrag.db", "chunks.", ".chunks.", ".restore-")
_RRAG_LOCKS = frozenset({"sync.lock", "index.lock", "serve.lock", "restore.lock"})


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents owner-only (0700); existing ones are kept."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by another process: its mode is its own
            continue
        os.chmod(directory, PRIVATE_DIR)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a directory")
    return path


def fresh_private_dir(path: Path) -> Path:
    """Create the new directory ``path`` owner-only (FileExistsError when it exists)."""
    Path(path).mkdir(mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    return Path(path)


def _open_fd(path: Path, flags: int) -> int:
    fd = os.open(path, flags | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        # an existing file keeps its mode under O_CREAT, and the umask may have cut 0600
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_private(path: Path) -> BinaryIO:
    """Open ``path`` for writing, truncated and owner-only (0600) before any byte is written."""
    return os.fdopen(_open_fd(Path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb")


def touch_private(path: Path) -> None:
    """Make sure ``path`` exists and is 0600, without changing its contents."""
    os.close(_open_fd(Path(path), os.O_WRONLY | os.O_CREAT))


def make_private(path: Path) -> bool:
    """Drop group/other bits from an existing file or directory; True when it had any.

    Symbolic links are left alone (``chmod`` would change their target), and so is what
    this process may not change (another user's file in the directory).
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:  # a -wal or temp file removed meanwhile
        return False
    if stat.S_ISLNK(info.st_mode) or not info.st_mode & SHARED_BITS:
        return False
    try:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~SHARED_BITS)
    except (FileNotFoundError, PermissionError):
        return False
    return True


def is_rrag_file(name: str) -> bool:
    """Whether ``name``, in a data directory, is something rrag keeps there.

    The store, its SQLite companions, the index and its sidecar, the four lock files, the
    restore journal, staging and aside directories, and the temp files of atomic writes
    (``.chunks.index.XXXX.tmp``, ``.restore-intent.json.tmp-PID``).
    """
    return name.startswith(_RRAG_PREFIXES) or name in _RRAG_LOCKS


def tighten_data_dir(root: Path) -> list[str]:
    """Make ``root`` and rrag's files in it owner-only; returns the paths that changed.

    Only rrag's own entries are touched (:func:`is_rrag_file`), so a data directory set to
    a shared place never has someone else's files changed; rrag's directories in it (a
    restore's staging and aside) are tightened with everything under them.
    """
    root = Path(root).resolve()  # a data dir that is a symbolic link: tighten its target
    changed = [str(root)] if make_private(root) else []
    for entry in sorted(root.iterdir()):
        if not is_rrag_file(entry.name):
            continue
        if make_private(entry):
            changed.append(str(entry))
        if entry.is_dir() and not entry.is_symlink():
            changed += _tighten_below(entry)
    return changed


def _tighten_below(directory: Path) -> list[str]:
    changed = []
    for parent, subdirs, files in os.walk(directory):  # does not follow symbolic links
        for name in (*subdirs, *files):
            if make_private(Path(parent) / name):
                changed.append(os.path.join(parent, name))
    return changed


__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "SHARED_BITS",
    "fresh_private_dir",
    "is_rrag_file",
    "make_private",
    "open_private",
    "private_dir",
    "tighten_data_dir",
    "touch_private",
]

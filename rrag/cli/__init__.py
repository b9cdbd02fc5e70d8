"""The ``rrag`` command line (``rrag`` or ``python -m rrag.cli``).

:func:`rrag.cli.main.main` is the CLI for in-process callers (tests, notebooks);
:func:`rrag.cli.entry.run` is the same CLI as its own process. Nothing is imported here,
so the entry point runs before the libraries the commands need are imported.
"""

__all__: list[str] = []

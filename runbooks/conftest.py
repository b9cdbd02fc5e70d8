"""pytest over runbooks/ (nbval) collects the notebooks only: the .py files are their
jupytext twins, and ``soak_test.py`` would otherwise match pytest's ``*_test.py``."""

collect_ignore_glob = ["*.py"]

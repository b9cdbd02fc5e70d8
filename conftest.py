"""pytest over runbooks/ and notebooks/ (nbval) collects the notebooks only: the .py files
there are their jupytext twins, and runbooks/soak_test.py would match ``*_test.py``."""

collect_ignore_glob = ["runbooks/*.py", "notebooks/*.py"]

"""rrag: a Redmine RAG workbench.

Subpackages: ``store`` (SQLite), ``sync`` (Redmine client, sync engine, jobs),
``index`` (chunking, embedders, vector and lexical indexes), ``retrieval``, ``llm``,
``guardrails``, ``ops`` and ``api`` (the Litestar app); ``cli`` is the command line.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

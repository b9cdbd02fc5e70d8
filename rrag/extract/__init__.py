"""Extraction: every issue read once by the LLM into a versioned schema, stored per issue
(extractor version, model, content hash), grounded in the issue's own text, run as
resumable, concurrency-limited jobs, and indexed as chunks of their own."""

from rrag.extract.runner import (
    ExtractCounters,
    extract_after_sync,
    require_model,
    run_extract_job,
    run_new_extract_job,
)
from rrag.extract.schema import EXTRACTOR_VERSION, FIELDS, json_schema, parse_fields

__all__ = [
    "EXTRACTOR_VERSION",
    "FIELDS",
    "ExtractCounters",
    "extract_after_sync",
    "json_schema",
    "parse_fields",
    "require_model",
    "run_extract_job",
    "run_new_extract_job",
]

"""Data stage: load, validate against the schema, map into the public domain, encode."""

from tabsynth.data.domain import ColumnDomain, build_domain, build_domains
from tabsynth.data.io import from_polars, read_table, to_polars, write_table
from tabsynth.data.split import split_table
from tabsynth.data.validate import DomainReport, conform

__all__ = [
    "ColumnDomain",
    "DomainReport",
    "build_domain",
    "build_domains",
    "conform",
    "from_polars",
    "read_table",
    "split_table",
    "to_polars",
    "write_table",
]

"""PII stage: an offline Presidio scan, schema policies, and the leak check of every release.

Needs the ``pii`` extra (presidio-analyzer, spacy, faker).
"""

from tabsynth.pii.scan import ColumnScan, ScanReport, mask, name_hint, scan

__all__ = ["ColumnScan", "ScanReport", "mask", "name_hint", "scan"]

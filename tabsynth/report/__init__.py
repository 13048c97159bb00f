"""Report stage: renders evaluation results (never raw data) as self-contained HTML + JSON."""

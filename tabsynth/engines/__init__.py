"""Engines that run a fit over a table: in memory, in streaming batches, or on Dask."""

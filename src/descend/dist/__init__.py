"""Training on a Dask cluster: full-batch gradients summed over partitions, mini-batches by
parameter averaging. See :mod:`descend.dist.source`; Dask loads on first use
(``pip install "descend[dask]"``)."""

from descend.dist.source import DaskSource, source

__all__ = ["DaskSource", "source"]

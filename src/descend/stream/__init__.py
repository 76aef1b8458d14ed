"""Training on files larger than memory: CSV/Parquet sources read chunk by chunk.

See :mod:`descend.stream.source` (files, order, shuffling) and :mod:`descend.stream.reader`
(background decoding with bounded read-ahead, the shuffle buffer).
"""

from descend.stream.source import FileSource, find_files, source

__all__ = ["FileSource", "find_files", "source"]

"""The dataset folder: the row schema and shards (``schema``), the build and its executors,
reuse, merge, card, publish, summary and re-rendering of stored rows."""

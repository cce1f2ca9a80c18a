"""Planning: a recipe expanded into SampleSpecs without touching audio (``planner``), the
plan → render contract (``spec``) and the intelligibility gate's re-draws (``gate``)."""

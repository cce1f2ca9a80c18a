"""The tiny test dataset is written in the build's row schema (so the eval and mitigation tests
run on rows the build really writes)."""

from __future__ import annotations

import pyarrow.parquet as pq

from aorgen.common.taxonomy import LABELS
from aorgen.dataset.schema import features
from aorgen.plan.spec import SampleSpec
from aorgen.testing.tiny_dataset import build_tiny_dataset


def test_tiny_rows_have_the_builds_schema_and_valid_specs(tmp_path):
    out = build_tiny_dataset(tmp_path / "tiny", rows_per_label=2, splits=("train", "test"), sampling_rate=22050)
    expected = features(22050, stems=False).arrow_schema
    for label in LABELS:
        for split in ("train", "test"):
            table = pq.read_table(out / "data" / label / f"{split}-00000-of-00001.parquet")
            assert table.schema.remove_metadata().equals(expected.remove_metadata())
            assert b"huggingface" in table.schema.metadata  # the Audio feature travels with the file
            rows = table.to_pylist()
            assert len(rows) == 2
            for row in rows:
                spec = SampleSpec.model_validate_json(row["spec"])
                assert (spec.id, spec.label, spec.split) == (row["id"], label, split)
                assert row["harm_type"] == ("none" if label == "benign_control" else "violence")
                assert row["audio"]["bytes"][:4] == b"RIFF"

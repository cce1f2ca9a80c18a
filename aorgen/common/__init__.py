"""Pieces every stage uses: YAML loading with one-line errors, the taxonomy, the registry."""

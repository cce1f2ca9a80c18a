"""Content: what the benchmark says and with what (templates, recipes, voices, sound banks,
licences, text normalisation, content statistics)."""

"""Rendering: ``mix.render(spec)`` — speech (``aorgen.tts``), scene, room, augmentation,
loudness — a pure function of the spec, with content-addressed caches and the listening check."""

"""aorgen: build, publish, evaluate and mitigate audio over-refusal benchmarks."""

__version__ = "0.1.0"

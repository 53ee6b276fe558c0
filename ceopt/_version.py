"""The package version (one place: setup.cfg, checkpoints and the CLI read it)."""

__version__ = "0.3.0"

"""booklet: patient information booklets from YAML."""

__version__ = "0.1.0"

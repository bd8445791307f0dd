"""mihub: a local-first hub for the Xiaomi / Mi Home ecosystem."""

__version__ = "0.1.0"

"""The version of descend, in one place."""

__version__ = "0.1.0"

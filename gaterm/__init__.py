"""gaterm: genetic-algorithm hyper-parameter search for PyTorch networks, with parent weight merging."""

__version__ = "0.1.0"

from gaterm.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]

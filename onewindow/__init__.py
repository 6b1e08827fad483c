"""OneWindow (一窗通办): the integrated government service platform."""

__version__ = "0.1.0"

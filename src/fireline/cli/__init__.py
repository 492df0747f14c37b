"""The ``fireline`` command line: parse, call a service, render."""

from fireline.cli.main import app, run

__all__ = ["app", "run"]

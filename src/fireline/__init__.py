"""fireline: stop terrorist and violent extremist content from spreading."""

__version__ = "0.1.0"

"""`python -m fireline` is the `fireline` command."""

from fireline.cli.main import run

if __name__ == "__main__":
    run()

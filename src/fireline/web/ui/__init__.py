"""The web UI: server-rendered pages (Jinja2) for reviewers, curators, responders, legal
staff and auditors.

Mounted at ``/ui`` as an application of its own: people log in with their API key and
browse with a session cookie, while the JSON API keeps its bearer keys. Each page needs
the same permission as the API route it mirrors.
"""

from fireline.web.ui.app import create_ui

__all__ = ["create_ui"]

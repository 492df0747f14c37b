"""Reading each document format's text, behind ``fireline.signals.text_extract``.

One module per format (``plain``, ``html``, ``pdf``, ``office``) plus what they share
(``paragraphs``: the paragraph builder and the limits; ``encoding``: decoding bytes that
claim to be text). Callers use ``text_extract.extract_text``; these modules are its parts.
"""

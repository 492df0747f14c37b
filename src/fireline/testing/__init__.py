"""Public test helpers: the signal-type contract and synthetic, benign media.

Plugin authors use these too: a new signal type's tests subclass
``SignalTypeContract`` and hash images from ``random_photo`` and videos from
``synthetic_video``. ``livestream``, ``benign_video`` and ``edit`` make videos with sound
and the edited copies re-uploaders make of them. ``fireline.testing.documents`` makes
PDF, DOCX and HTML documents, and the bombs and encrypted files text extraction refuses.
"""

from fireline.testing.contract import SignalTypeContract, flip_bits, random_hex
from fireline.testing.documents import (
    docx_bomb,
    docx_document,
    encrypted_docx,
    html_document,
    legacy_doc,
    pdf_bomb,
    pdf_document,
    scanned_pdf,
)
from fireline.testing.edits import (
    EDIT_NAMES,
    SAMPLE_RATE,
    Captions,
    Media,
    ScreenRecording,
    benign_video,
    edit,
    livestream,
    render_media,
)
from fireline.testing.media import (
    EDIT_KINDS,
    EditKind,
    ImageFormat,
    VideoBorder,
    audio_only,
    decode,
    edited,
    empty_video,
    encode,
    flat_image,
    long_video,
    png_bomb,
    random_photo,
    synthetic_frame,
    synthetic_video,
    truncated_jpeg,
    truncated_video,
)

__all__ = [
    "EDIT_KINDS",
    "EDIT_NAMES",
    "SAMPLE_RATE",
    "Captions",
    "EditKind",
    "ImageFormat",
    "Media",
    "ScreenRecording",
    "SignalTypeContract",
    "VideoBorder",
    "audio_only",
    "benign_video",
    "decode",
    "docx_bomb",
    "docx_document",
    "edit",
    "edited",
    "empty_video",
    "encode",
    "encrypted_docx",
    "flat_image",
    "flip_bits",
    "html_document",
    "legacy_doc",
    "livestream",
    "long_video",
    "pdf_bomb",
    "pdf_document",
    "png_bomb",
    "random_hex",
    "random_photo",
    "render_media",
    "scanned_pdf",
    "synthetic_frame",
    "synthetic_video",
    "truncated_jpeg",
    "truncated_video",
]

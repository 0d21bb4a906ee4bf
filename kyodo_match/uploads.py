"""Uploaded files, the one way: type sniffed from the bytes, size capped, images re-encoded without metadata,
stored under a random server-chosen name below a given folder, and read back from there.

A caller raises :class:`~kyodo_match.errors.FieldRefused` for its own form field; nothing here touches the
database, so the caller decides what a refusal leaves behind (nothing: check everything before storing).
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask_babel import gettext as _

from .errors import FieldRefused

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
IMAGES = (JPEG, PNG)
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
_SIGNATURES = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}


def sniff(head: bytes) -> str | None:
    """The content type the bytes really are (PDF, JPEG, PNG), or None for anything else."""
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def read_capped(stream, field: str, max_bytes: int = MAX_BYTES) -> bytes:
    """Read at most ``max_bytes`` + 1 bytes; FieldRefused(``field``) when there are more."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large(field, max_bytes)
    return data


def too_large(field: str, max_bytes: int = MAX_BYTES) -> FieldRefused:
    if max_bytes == MAX_BYTES:  # the message the catalogue already translates
        return FieldRefused(field, _("ファイルが大きすぎます。5MB以下のファイルにしてください。"))
    return FieldRefused(field, _("ファイルが大きすぎます。%(mb)dMB以下のファイルにしてください。",
                                 mb=max_bytes // (1024 * 1024)))


def reencode(data: bytes, content_type: str, field: str = "file") -> bytes:
    """Decode the image and write only its pixels: no EXIF, GPS, XMP, comments or text chunks survive.

    Raises FieldRefused(``field``) for bytes that do not decode as the type they claim, or too many pixels.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    refused = FieldRefused(field, _("画像を読み込めませんでした。壊れていないJPEGかPNGの画像を選んでください。"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != _PIL_FORMATS[content_type]:
                raise refused
            if probe.width * probe.height > MAX_PIXELS:
                raise FieldRefused(field, _("画像が大きすぎます。4000万画素以下の画像にしてください。"))
            probe.load()
            image = ImageOps.exif_transpose(probe)  # keep the photo upright once its orientation tag is gone
        out = io.BytesIO()
        if content_type == JPEG:
            pixels = image.convert("RGB") if image.mode not in ("RGB", "L") else image
            pixels.info = {}
            pixels.save(out, format="JPEG", quality=90, optimize=True)
        else:
            if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
                image = image.convert("RGBA")
            image.info = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
            image.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise refused from None
    return out.getvalue()


def checked(stream, field: str, allowed=(PDF, JPEG, PNG), *, max_bytes: int = MAX_BYTES,
            refusal: str | None = None) -> tuple[bytes, str]:
    """(bytes ready to store, content type): read capped, sniffed, images re-encoded (and capped again).

    Raises FieldRefused(``field``) with ``refusal`` (or a message naming the allowed types) for anything else.
    """
    data = read_capped(stream, field, max_bytes)
    content_type = sniff(data[:16])
    if content_type not in allowed:
        raise FieldRefused(field, refusal or _("PDF、JPEG、PNGのファイルだけを登録できます。"))
    if content_type in IMAGES:
        data = reencode(data, content_type, field)
        if len(data) > max_bytes:
            raise too_large(field, max_bytes)
    return data, content_type


def new_name() -> str:
    """A random stored name (32 hex characters): never the name the browser sent."""
    return secrets.token_hex(16)


def store(folder: Path, data: bytes, name: str | None = None) -> str:
    """Write ``data`` to ``folder``/``name`` (a new random name by default), readable by the owner only.
    Never overwrites ("x" mode). Returns the stored name."""
    name = name or new_name()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with open(target, "xb") as out:  # "x": a name collision fails instead of overwriting
        out.write(data)
    target.chmod(0o600)
    return name


def path_in(folder: Path, name: str) -> Path:
    """Where a stored name lives; only plain server-chosen names (no path separators) are accepted."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("not a stored name")
    return Path(folder) / name


def send_stored(path: Path, content_type: str, *, download_name: str | None = None, attachment: bool = False,
                public: bool = False):
    """A response with the stored bytes: the recorded type, ``nosniff``, never cached when private.
    404 when the file is missing on disk (logged)."""
    from flask import abort, current_app, send_file

    if not Path(path).is_file():
        current_app.logger.error("stored upload %s is missing on disk", Path(path).name)
        abort(404)
    response = send_file(path, mimetype=content_type, as_attachment=attachment, download_name=download_name,
                         conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache" if public else "private, no-store"
    return response

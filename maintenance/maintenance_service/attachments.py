"""Photos of a ticket: the checks, the cleaning and the SQL. Routes (attachment_routes.py)
call these; nothing here sees a request.

A file is taken only as what Pillow decodes it to, never as its name or Content-Type
claim: JPEG, PNG, WebP, and HEIC/HEIF where pillow-heif is installed. It is decoded in
full (a truncated or damaged file fails), held to MAX_PIXELS before its pixels are
allocated (a decompression bomb fails), turned upright by its EXIF orientation, and then
re-encoded from the pixels alone: EXIF (GPS above all), XMP, comments and text chunks
never reach storage. Only the ICC colour profile is kept, so colours stay right (a CMYK
one is dropped with the conversion to RGB). HEIC is stored as JPEG, which every browser
shows. A thumbnail (THUMBNAIL_SIZE px, same format) is made at the same time.

Storage is the service's database (BYTEA on PostgreSQL, BLOB on SQLite): a photo lives
and dies with its ticket, is backed up with it and is served by any instance, with no
shared directory to mount (docs/DEVELOPING.md). A refusal stores nothing: the file is
checked before the transaction, and the count per ticket is checked again inside it,
under the ticket's row lock, so two uploads at once cannot make a fourth.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.auth import Principal
from shared.database import Connection, Database
from shared.errors import BadRequest, NotFound, PayloadTooLarge
from shared.server_limits import MAX_UPLOAD_FILE

# The module, not its names: tickets.get_ticket lists photos through this module.
from . import tickets
from .models import AttachmentPublic

try:   # HEIC/HEIF (iPhone photos): a Pillow plugin on libheif, pinned in requirements.txt
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_FORMATS: tuple[str, ...] = ("HEIF",)
except ImportError:   # pragma: no cover - without the plugin, HEIC is refused as any unknown file
    HEIF_FORMATS = ()

MAX_ATTACHMENTS = 3                 # photos per ticket
MAX_IMAGE_BYTES = MAX_UPLOAD_FILE   # 10 MiB per photo, as sent
MAX_PIXELS = 50_000_000             # 50 megapixels: any phone photo; ~200 MB of RGBA at most to decode
THUMBNAIL_SIZE = 320                # the longer side of a thumbnail, in pixels
JPEG_QUALITY = 88
# What Pillow decoded -> what is stored (the Pillow encoder and the Content-Type served).
STORED_AS = {"JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"), "WEBP": ("WEBP", "image/webp"),
             **{name: ("JPEG", "image/jpeg") for name in HEIF_FORMATS}}
ACCEPTED = "JPEG, PNG, WebP" + (" or HEIC" if HEIF_FORMATS else "")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# Where clients reach these files: the gateway publishes this service under /api/maintenance
# (gateway_app/routing.py ROUTES), the address the pages and the API documentation use.
PUBLIC_PREFIX = "/api/maintenance"
# Modes each encoder writes as they are; anything else is converted (see _for_encoder).
_ENCODER_MODES = {"JPEG": ("L", "RGB"), "PNG": ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"),
                  "WEBP": ("RGB", "RGBA")}
COLUMNS = "id, ticket_id, content_type, size, width, height, created_at"


@dataclass(frozen=True)
class CleanImage:
    content_type: str
    data: bytes
    thumbnail: bytes
    width: int
    height: int


# ----------------------------------------------------------------------------- images
def clean_image(data: bytes) -> CleanImage:
    """The photo as it will be stored: decoded, upright, re-encoded without metadata, with
    its thumbnail. Refuses (400/413, nothing kept) anything else."""
    if len(data) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(f"A photo may be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
                              code="file_too_large")
    if not data:
        raise BadRequest("The file is empty.", code="empty_file")
    try:
        with Image.open(io.BytesIO(data), formats=list(STORED_AS)) as source:
            if source.width * source.height > MAX_PIXELS:
                raise _TooManyPixels()
            source.load()                        # the whole decode: a damaged file fails here
            fmt, icc = source.format, source.info.get("icc_profile")
            upright = ImageOps.exif_transpose(source)   # a copy, turned as the camera meant
    except _TooManyPixels:
        raise BadRequest(f"The image has more than {MAX_PIXELS // 1_000_000} megapixels.",
                         code="image_too_large") from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError,
            EOFError) as exc:
        raise BadRequest(f"The file is not a {ACCEPTED} image, or it is damaged.", code="not_an_image",
                         details=[{"field": "file", "message": f"must be a {ACCEPTED} image"}]) from exc
    encoder, content_type = STORED_AS[fmt]
    pixels = _for_encoder(upright, encoder)
    if upright.mode == "CMYK" and pixels.mode != "CMYK":
        icc = None   # a CMYK profile does not describe the RGB pixels converted from it
    scale = min(1.0, THUMBNAIL_SIZE / max(pixels.size))   # never enlarged; no full-size copy made
    thumbnail = pixels.resize((max(1, round(pixels.width * scale)), max(1, round(pixels.height * scale))),
                              Image.Resampling.LANCZOS, reducing_gap=3.0)
    return CleanImage(content_type=content_type, data=_encode(pixels, encoder, icc),
                      thumbnail=_encode(thumbnail, encoder, icc), width=pixels.width, height=pixels.height)


class _TooManyPixels(Exception):
    pass


def _for_encoder(image: Image.Image, encoder: str) -> Image.Image:
    """The pixels alone (no metadata carried in `info`), in a mode the encoder writes;
    transparency becomes white where the format has none (JPEG)."""
    if image.mode not in _ENCODER_MODES[encoder]:
        transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
        if transparent and encoder == "JPEG":
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            image = image.convert("RGBA" if transparent else "RGB")
    # `image` is this request's own (exif_transpose or convert made it): no copy needed. A
    # palette's transparent colour is no metadata; everything else in `info` is dropped.
    image.info = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
    return image


def _encode(image: Image.Image, encoder: str, icc: bytes | None) -> bytes:
    """Only what is passed here is written: Pillow's encoders take metadata (exif, xmp,
    comments, text chunks) from these arguments, and `image.info` is empty."""
    options: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if encoder == "JPEG":
        options.update(quality=JPEG_QUALITY)
    elif encoder == "WEBP":
        options.update(quality=JPEG_QUALITY, method=0)   # effort 0: 12 MP in ~1/5 of the default's time
    out = io.BytesIO()
    image.save(out, encoder, **options)
    return out.getvalue()


# ----------------------------------------------------------------------------- storage
def public(row: dict[str, Any]) -> dict[str, Any]:
    url = f"{PUBLIC_PREFIX}/tickets/{int(row['ticket_id'])}/attachments/{int(row['id'])}"
    return AttachmentPublic(id=int(row["id"]), content_type=row["content_type"], size=int(row["size"]),
                            width=int(row["width"]), height=int(row["height"]), url=url,
                            thumbnail_url=f"{url}/thumbnail", created_at=row["created_at"]).model_dump()


def listing(conn: Connection, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's photos, oldest first (for GET /tickets/{id}: the caller checked who may see it)."""
    rows = conn.execute(f"SELECT {COLUMNS} FROM ticket_attachments WHERE ticket_id = ? ORDER BY id",
                        (ticket_id,)).fetchall()
    return [public(row) for row in rows]


def _count(conn: Connection, ticket_id: int) -> int:
    return int(conn.execute("SELECT COUNT(*) AS n FROM ticket_attachments WHERE ticket_id = ?",
                            (ticket_id,)).scalar())


def _too_many() -> BadRequest:
    return BadRequest(f"A ticket may have at most {MAX_ATTACHMENTS} photos.", code="too_many_attachments")


def add_attachment(db: Database, ticket_id: int, data: bytes, uploader: Principal) -> dict[str, Any]:
    """Store a photo of a ticket that `uploader` may see (its reporter, or an admin)."""
    with db.connection(readonly=True) as conn:    # cheap refusals before the image work
        tickets.visible_ticket(conn, ticket_id, uploader)
        if _count(conn, ticket_id) >= MAX_ATTACHMENTS:
            raise _too_many()
    image = clean_image(data)
    with db.connection() as conn:
        tickets.visible_ticket(conn, ticket_id, uploader, lock=True)   # uploads to one ticket queue here
        if _count(conn, ticket_id) >= MAX_ATTACHMENTS:
            raise _too_many()
        row = conn.execute(
            "INSERT INTO ticket_attachments (ticket_id, content_type, size, width, height, data, thumbnail, "
            f"uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
            (ticket_id, image.content_type, len(image.data), image.width, image.height, image.data,
             image.thumbnail, uploader.id, datetime.now(timezone.utc).strftime(tickets.TS_FORMAT))).fetchone()
    return public(row)


@dataclass(frozen=True)
class StoredFile:
    content_type: str
    data: bytes
    filename: str


def read_attachment(db: Database, ticket_id: int, attachment_id: int, viewer: Principal,
                    thumbnail: bool = False) -> StoredFile:
    """A photo (or its thumbnail) for someone who may see its ticket; else 404."""
    column = "thumbnail" if thumbnail else "data"
    with db.connection(readonly=True) as conn:
        tickets.visible_ticket(conn, ticket_id, viewer)
        row = conn.execute(f"SELECT content_type, {column} AS body FROM ticket_attachments "
                           "WHERE id = ? AND ticket_id = ?", (attachment_id, ticket_id)).fetchone()
    if row is None:
        raise NotFound(f"Ticket {ticket_id} has no attachment {attachment_id}.")
    suffix = "-thumbnail" if thumbnail else ""
    extension = EXTENSIONS.get(row["content_type"], "bin")
    return StoredFile(row["content_type"], bytes(row["body"]),
                      f"ticket-{ticket_id}-photo-{attachment_id}{suffix}.{extension}")

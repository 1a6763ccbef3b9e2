"""HTTP routes of a ticket's photos: thin; the rules live in attachments.py."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from shared.auth import current_user, require_auth
from shared.errors import UnsupportedMediaType, ValidationFailed
from shared.openapi import accepts, answers
from shared.server_limits import MAX_UPLOAD_BODY
from shared.web import app_db, request_bytes

from . import attachments
from .models import AttachmentPublic, AttachmentUpload

blueprint = Blueprint("attachments", __name__)


@blueprint.post("/tickets/<int:ticket_id>/attachments")
@require_auth()
@accepts(AttachmentUpload, "multipart/form-data")
@answers(201, AttachmentPublic, description="The photo as stored: re-encoded without EXIF, with a thumbnail. "
         "Its reporter or an admin; at most 3 per ticket, 10 MB each (413 past it)")
def upload_attachment(ticket_id: int):
    """Attach a photo (JPEG, PNG, WebP or HEIC) to a ticket"""
    request.max_content_length = MAX_UPLOAD_BODY   # this route only; every other body keeps the 1 MiB
    request_bytes()   # read whole (413 past the limit, chunked bodies too); request.files parses it
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType('Send the photo as multipart/form-data, in a part named "file".')
    files = request.files.getlist("file")
    if len(files) != 1:
        message = "Field required" if not files else "send one file per request"
        raise ValidationFailed('Send one photo in a part named "file".',
                               details=[{"field": "file", "message": message}])
    data = files[0].read(attachments.MAX_IMAGE_BYTES + 1)   # one byte more tells "too large"
    return jsonify(attachments.add_attachment(app_db(), ticket_id, data, current_user())), 201


@blueprint.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@require_auth()
@answers(200, media_type="image/*", description="The photo, to whoever may see the ticket")
def get_attachment(ticket_id: int, attachment_id: int):
    """A photo of a ticket"""
    return _file(attachments.read_attachment(app_db(), ticket_id, attachment_id, current_user()))


@blueprint.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>/thumbnail")
@require_auth()
@answers(200, media_type="image/*", description="The photo's thumbnail (320 px), to whoever may see the ticket")
def get_attachment_thumbnail(ticket_id: int, attachment_id: int):
    """The thumbnail of a ticket's photo"""
    return _file(attachments.read_attachment(app_db(), ticket_id, attachment_id, current_user(), thumbnail=True))


def _file(stored: attachments.StoredFile) -> Response:
    """The stored bytes with the type they were decoded as; a browser never guesses
    (nosniff) and shows in the page only what is an image."""
    response = Response(stored.data, content_type=stored.content_type)
    disposition = "inline" if stored.content_type.startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stored.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"   # per person; a photo never changes
    return response

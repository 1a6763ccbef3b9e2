"""Photos of tickets against the real platform, through the gateway, on SQLite and on
PostgreSQL: each accepted format comes back decoded as what it is, without EXIF (GPS),
upright, with a smaller thumbnail; a file that is no image, is too large or one too many
is refused with nothing stored; only who may see the ticket may fetch its photos."""
from __future__ import annotations

import io
import threading

import pytest
from maintenance_service.attachments import MAX_ATTACHMENTS, MAX_IMAGE_BYTES, THUMBNAIL_SIZE, clean_image
from PIL import Image, ImageCms, PngImagePlugin

from tests.harness import assert_envelope

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKER = "Acme PhoneCam 9000"


def image_bytes(fmt: str, size=(640, 480), mode="RGB", exif: Image.Exif | None = None) -> bytes:
    image = Image.new(mode, size, (30, 120, 200) if mode == "RGB" else None)
    image.putpixel((0, 0), (255, 0, 0) if mode == "RGB" else 1)
    out = io.BytesIO()
    image.save(out, fmt, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = MAKER
    exif[GPS_IFD] = {1: "N", 2: (52.0, 12.0, 30.5), 3: "E", 4: (4.0, 21.0, 10.0)}
    if orientation:
        exif[ORIENTATION] = orientation
    return exif


def new_ticket(stack, token: str) -> int:
    response = stack.api("POST", "/api/maintenance/tickets", token,
                         json={"title": "Broken window", "description": "The window in room 12 is cracked."})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def upload(stack, token: str, ticket_id: int, data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return stack.api("POST", f"/api/maintenance/tickets/{ticket_id}/attachments", token,
                     files={"file": (name, data, content_type)})


def attached(stack, token: str, ticket_id: int) -> list[dict]:
    response = stack.api("GET", f"/api/maintenance/tickets/{ticket_id}", token)
    assert response.status_code == 200, response.text
    return response.json()["attachments"]


def stored_count(stack, ticket_id: int) -> int:
    """What the database holds, as its operator would count it."""
    [(count,)] = stack.sql("tickets.db", "SELECT COUNT(*) FROM ticket_attachments WHERE ticket_id = ?",
                           (ticket_id,))
    return count


def fetch(stack, token: str, url: str):
    return stack.api("GET", url, token)


@pytest.fixture(scope="module")
def student(stack):
    return stack.new_user("student")


@pytest.mark.parametrize("fmt, sent_as, served_as", [
    ("JPEG", "image/jpeg", "image/jpeg"),
    ("PNG", "image/png", "image/png"),
    ("WEBP", "image/webp", "image/webp"),
    ("HEIF", "image/heic", "image/jpeg"),     # stored as JPEG, which every browser shows
])
def test_each_format_is_stored_listed_and_served_with_a_thumbnail(stack, student, fmt, sent_as, served_as):
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif").register_heif_opener()
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    # The name and the declared type say nothing; the decoded bytes decide.
    response = upload(stack, token, ticket_id, image_bytes(fmt, (1200, 900)), "upload.bin",
                      "application/octet-stream")
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["content_type"] == served_as and (photo["width"], photo["height"]) == (1200, 900)
    assert attached(stack, token, ticket_id) == [photo]
    assert photo["url"] == f"/api/maintenance/tickets/{ticket_id}/attachments/{photo['id']}"

    full = fetch(stack, token, photo["url"])
    assert full.status_code == 200, full.text
    assert full.headers["Content-Type"] == served_as
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.headers["Content-Disposition"].startswith("inline")
    assert len(full.content) == photo["size"]
    image = Image.open(io.BytesIO(full.content))
    assert image.format == served_as.split("/")[1].upper() and image.size == (1200, 900)

    thumb = fetch(stack, token, photo["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == served_as
    small = Image.open(io.BytesIO(thumb.content))
    assert small.size == (THUMBNAIL_SIZE, THUMBNAIL_SIZE * 900 // 1200)
    assert len(thumb.content) < len(full.content)


def test_a_photo_comes_back_without_its_gps_exif_and_upright(stack, student):
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    sent = image_bytes("JPEG", (800, 600), exif=gps_exif(orientation=6))   # 6: the camera was turned
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)        # the test's own premise
    response = upload(stack, token, ticket_id, sent)
    assert response.status_code == 201, response.text
    for url in (response.json()["url"], response.json()["thumbnail_url"]):
        served = fetch(stack, token, url)
        assert served.status_code == 200
        image = Image.open(io.BytesIO(served.content))
        assert dict(image.getexif()) == {} and not image.getexif().get_ifd(GPS_IFD)
        assert "exif" not in image.info and "xmp" not in image.info
        assert MAKER.encode() not in served.content and b"Exif\x00\x00" not in served.content
        assert image.height > image.width            # turned upright, as orientation 6 says
    assert response.json()["width"] == 600 and response.json()["height"] == 800


@pytest.mark.parametrize("data, reason", [
    (b"Hello, this is a text file and no photo.\n", "text"),
    (image_bytes("JPEG")[:1500], "truncated"),
    (image_bytes("GIF"), "another format"),
    (b"", "empty"),
])
def test_what_is_no_accepted_image_is_refused_and_nothing_stored(stack, student, data, reason):
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    response = upload(stack, token, ticket_id, data, "photo.jpg", "image/jpeg")
    assert_envelope(response, 400)
    assert response.json()["code"] in ("not_an_image", "empty_file"), reason
    assert attached(stack, token, ticket_id) == [] and stored_count(stack, ticket_id) == 0


def test_a_decompression_bomb_is_refused(stack, student):
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    bomb = image_bytes("PNG", (10_000, 10_000), mode="1")    # a few kB that would decode to 100 megapixels
    assert len(bomb) < 100_000
    assert_envelope(upload(stack, token, ticket_id, bomb, "bomb.png", "image/png"), 400, "image_too_large")
    assert stored_count(stack, ticket_id) == 0


def test_ten_megabytes_pass_the_gateway_and_one_byte_more_is_413(stack, student):
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    photo = image_bytes("JPEG")
    # A JPEG decoder stops at the image's end marker; padding makes the file as large as wanted.
    exactly = photo + b"\0" * (MAX_IMAGE_BYTES - len(photo))
    response = upload(stack, token, ticket_id, exactly)
    assert response.status_code == 201, response.text
    assert_envelope(upload(stack, token, ticket_id, exactly + b"\0"), 413, "file_too_large")
    assert_envelope(upload(stack, token, ticket_id, exactly + b"\0" * (2 * 1024 * 1024)), 413)   # the gateway's limit
    assert stored_count(stack, ticket_id) == 1
    # Every other body keeps the usual 1 MiB limit.
    big_json = b'{"title": "x", "description": "' + b"y" * (2 * 1024 * 1024) + b'"}'
    assert_envelope(stack.api("POST", "/api/maintenance/tickets", token, data=big_json,
                              headers={"Content-Type": "application/json"}), 413)


def test_a_chunked_upload_is_held_to_the_same_limit(stack, student):
    """No Content-Length: the body is counted as it arrives (shared.web.request_bytes)."""
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    boundary = "photo-boundary"

    def form(data: bytes) -> bytes:
        return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\n"
                f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()

    def chunked(body: bytes):
        for start in range(0, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    photo = image_bytes("JPEG")
    padded = photo + b"\0" * (2 * 1024 * 1024)          # past the usual 1 MiB, within a photo's 10 MB
    response = stack.api("POST", f"/api/maintenance/tickets/{ticket_id}/attachments", token,
                         data=chunked(form(padded)), headers=headers)
    assert response.status_code == 201, response.text
    assert_envelope(stack.api("POST", f"/api/maintenance/tickets/{ticket_id}/attachments", token,
                              data=chunked(form(padded + b"\0" * MAX_IMAGE_BYTES)), headers=headers), 413)
    assert stored_count(stack, ticket_id) == 1


def test_a_fourth_photo_is_refused_also_when_sent_at_once(stack, student):
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    for _ in range(MAX_ATTACHMENTS - 1):
        assert upload(stack, token, ticket_id, image_bytes("PNG"), "p.png", "image/png").status_code == 201
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(
        upload(stack, token, ticket_id, image_bytes("JPEG")).status_code)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 400, 400]
    assert_envelope(upload(stack, token, ticket_id, image_bytes("JPEG")), 400, "too_many_attachments")
    assert len(attached(stack, token, ticket_id)) == MAX_ATTACHMENTS == stored_count(stack, ticket_id)


def test_only_who_may_see_the_ticket_may_fetch_or_attach(stack, student, tokens):
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    photo = upload(stack, token, ticket_id, image_bytes("JPEG")).json()
    other = stack.new_user("student")
    for url in (photo["url"], photo["thumbnail_url"]):
        assert_envelope(fetch(stack, other["token"], url), 404)
        assert fetch(stack, tokens["admin"], url).status_code == 200
        assert_envelope(stack.api("GET", url), 401)
    assert_envelope(upload(stack, other["token"], ticket_id, image_bytes("JPEG")), 404)
    # Through a ticket of one's own, someone else's photo stays out of reach.
    own = new_ticket(stack, other["token"])
    assert_envelope(fetch(stack, other["token"], f"/api/maintenance/tickets/{own}/attachments/{photo['id']}"), 404)
    # An admin may attach to any ticket; its reporter sees that photo too.
    assert upload(stack, tokens["admin"], ticket_id, image_bytes("WEBP"), "w.webp", "image/webp").status_code == 201
    assert len(attached(stack, token, ticket_id)) == 2
    assert stored_count(stack, ticket_id) == 2


def test_an_upload_that_is_no_form_is_refused(stack, student):
    token = student["token"]
    ticket_id = new_ticket(stack, token)
    assert_envelope(stack.api("POST", f"/api/maintenance/tickets/{ticket_id}/attachments", token,
                              data=image_bytes("JPEG"), headers={"Content-Type": "image/jpeg"}), 415)
    assert_envelope(stack.api("POST", f"/api/maintenance/tickets/{ticket_id}/attachments", token,
                              files={"photo": ("a.jpg", image_bytes("JPEG"), "image/jpeg")}), 400, "validation_error")
    assert_envelope(upload(stack, token, 999_999_999, image_bytes("JPEG")), 404)
    assert stored_count(stack, ticket_id) == 0


# ------------------------------------------------------------------ the cleaning itself (no processes)
SECRET = b"secret-xmp-payload"


def _with_metadata(fmt: str) -> bytes:
    """A small image of `fmt` carrying GPS EXIF, XMP (where the format has it) and text."""
    image = Image.new("RGB", (50, 40), (1, 2, 3))
    out = io.BytesIO()
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "taken at 52N 4E")
        text.add_itxt("XML:com.adobe.xmp", SECRET.decode())
        image.save(out, fmt, pnginfo=text, exif=gps_exif())
    elif fmt == "HEIF":
        image.save(out, fmt, exif=gps_exif().tobytes())
    else:
        image.save(out, fmt, exif=gps_exif(), xmp=SECRET, **({"comment": b"taken at 52N 4E"} if fmt == "JPEG" else {}))
    return out.getvalue()


@pytest.mark.fast
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_cleaning_drops_exif_xmp_and_text_in_every_format(fmt):
    sent = _with_metadata(fmt)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)
    clean = clean_image(sent)
    for data in (clean.data, clean.thumbnail):
        image = Image.open(io.BytesIO(data))
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "Comment", "comment"} & set(image.info)
        assert SECRET not in data and MAKER.encode() not in data and b"52N" not in data


@pytest.mark.fast
def test_cleaning_keeps_the_colour_profile_and_writable_modes():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, "JPEG", icc_profile=srgb, exif=gps_exif())
    assert Image.open(io.BytesIO(clean_image(out.getvalue()).data)).info.get("icc_profile") == srgb
    for mode, fmt, stored_mode in (("CMYK", "JPEG", "RGB"), ("I;16", "PNG", "I;16"), ("LA", "PNG", "LA"),
                                   ("RGBA", "WEBP", "RGBA")):
        out = io.BytesIO()
        Image.new(mode, (40, 30)).save(out, fmt)
        assert Image.open(io.BytesIO(clean_image(out.getvalue()).data)).mode == stored_mode, mode

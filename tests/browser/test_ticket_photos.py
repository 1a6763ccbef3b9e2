"""Photos on the maintenance page, in a real headless browser: a reporter attaches photos
while filing, sees their thumbnails (fetched with the token, shown from blob: URLs under
the page's Content-Security-Policy) and opens one full size; a file that is no photo is
refused with the service's message. At 1280 px and at 390 px wide."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser.test_frontend import browser, people, web_stack  # noqa: F401 - the same fixtures

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402

LOADED = """(selector) => {
  const images = [...document.querySelectorAll(selector)];
  return images.length > 0 && images.every((i) => i.complete && i.naturalWidth > 0);
}"""


def photo(path, fmt: str, size=(1200, 900)) -> str:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 12.0, 30.5)}   # GPS
    Image.new("RGB", size, (40, 110, 190)).save(out, fmt, exif=exif)
    path.write_bytes(out.getvalue())
    return str(path)


@pytest.mark.parametrize("width", [1280, 390])
def test_a_reporter_attaches_photos_while_filing_and_sees_them(people, tmp_path, width):  # noqa: F811
    me = people(viewport={"width": width, "height": 900})
    page = me.login_as("student")
    page.goto("/maintenance.html")
    page.get_by_label("What is wrong?").fill(f"Water on the floor {width}")
    page.get_by_label("Details").fill("The pipe under the sink in the second-floor kitchen leaks.")
    page.get_by_label("Photos", exact=True).set_input_files([photo(tmp_path / "leak.jpg", "JPEG"),
                                                photo(tmp_path / "sink.png", "PNG", (800, 600))])
    page.get_by_role("button", name="Submit ticket").click()

    result = page.locator("#ticket-result")
    expect(result).to_be_visible(timeout=60_000)   # classified, then each photo decoded: slow on a busy CI
    thumbs = result.locator(".attachment-image")
    expect(thumbs).to_have_count(2)
    page.wait_for_function(LOADED, arg="#ticket-result .attachment-image")
    assert thumbs.first.evaluate("i => i.naturalWidth") == 320      # the thumbnail, not the photo
    assert thumbs.first.evaluate("i => i.src").startswith("blob:")
    result.locator(".attachment").first.click()                        # the photo itself
    expect(result.locator(".attachment").first).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("() => document.querySelector('#ticket-result .attachment-image').naturalWidth === 1200")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    me.shot(f"maintenance-photos-{width}")

    # The ticket's own view shows them, to its reporter and to an admin; a photo sent with a comment joins them.
    ticket_id = int(result.locator(".ticket-title").inner_text().split()[0].lstrip("#"))
    page.goto(f"/maintenance.html?ticket={ticket_id}")
    expect(page.locator("#detail-photos .attachment-image")).to_have_count(2)
    page.get_by_label("Add photos").set_input_files(photo(tmp_path / "later.webp", "WEBP"))
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#detail-photos .attachment-image")).to_have_count(3)
    page.wait_for_function(LOADED, arg="#detail-photos .attachment-image")
    staff = people(viewport={"width": width, "height": 900})
    staff.login_as("admin").goto(f"/maintenance.html?ticket={ticket_id}")
    expect(staff.page.locator("#detail-photos .attachment-image")).to_have_count(3)
    staff.page.wait_for_function(LOADED, arg="#detail-photos .attachment-image")
    assert staff.page.evaluate("document.documentElement.scrollWidth") <= width
    staff.shot(f"maintenance-photos-detail-{width}")


def test_a_file_that_is_no_photo_is_refused_and_the_ticket_still_filed(people, tmp_path):  # noqa: F811
    me = people()
    page = me.login_as("student")
    page.goto("/maintenance.html")
    page.get_by_label("What is wrong?").fill("Flickering light")
    page.get_by_label("Details").fill("The ceiling light in room 3 flickers all day.")
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is a text file, not a photo")
    page.get_by_label("Photos", exact=True).set_input_files(str(fake))
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.locator("#ticket-result")).to_be_visible(timeout=60_000)
    expect(page.locator("#ticket-error")).to_contain_text("photo.jpg")
    expect(page.locator("#ticket-error")).to_contain_text("not a JPEG")
    expect(page.locator("#ticket-result .attachment-image")).to_have_count(0)

"""The booking service's own Swagger UI (assets served locally, no CDN)."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html

DOCS_ASSETS = "docs-assets"

router = APIRouter()


@router.get("/docs", include_in_schema=False)
def docs():
    # Relative URLs: the page works at /docs here and at /api/booking/docs behind the gateway.
    return get_swagger_ui_html(openapi_url="openapi.json", title="Booking service - API docs",
                               swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                               swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                               swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
                               swagger_ui_parameters={"persistAuthorization": True})

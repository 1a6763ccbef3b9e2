"""OpenAPI documents for the Flask services, and the Swagger UI page.

`flask_openapi(app)` describes every route of a Flask app from its URL map: methods,
path parameters, bearer security and the error envelope. A view decorated with
`@accepts(Model)` gets its request body schema from the pydantic model. FastAPI makes
its own document. The gateway merges them into one (gateway_app/docs.py).
"""
from __future__ import annotations

import re
from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "code", "correlation_id"],
    "properties": {"error": {"type": "string"}, "code": {"type": "string"},
                   "correlation_id": {"type": "string"}, "details": {}},
}


def accepts(model):
    """Record the pydantic model a view reads with json_body(), for the document."""
    def decorator(view):
        view.__openapi_body__ = model
        return view
    return decorator


def _path(rule: str) -> tuple[str, list[str]]:
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule), names


def flask_openapi(app, title: str, version: str = "1.0.0") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule in ("/openapi.json",):
            continue
        path, params = _path(rule.rule)
        view = app.view_functions[rule.endpoint]
        public = rule.rule in ("/health", "/ready")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            doc = (view.__doc__ or "").strip().splitlines()
            operation: dict[str, Any] = {
                "summary": doc[0] if doc else rule.endpoint.replace("_", " "),
                "operationId": f"{rule.endpoint}_{method.lower()}",
                "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                               for n in params],
                "responses": {"200": {"description": "OK"},
                              "default": {"description": "Error",
                                          "content": {"application/json": {"schema": ERROR_SCHEMA}}}},
            }
            if not public:
                operation["security"] = [{"bearerAuth": []}]
            if method in ("POST", "PUT", "PATCH"):
                model = getattr(view, "__openapi_body__", None)
                schema = model.model_json_schema() if model is not None else {"type": "object"}
                operation["requestBody"] = {"required": model is not None,
                                            "content": {"application/json": {"schema": schema}}}
            paths.setdefault(path, {})[method.lower()] = operation
    return {"openapi": "3.0.3", "info": {"title": title, "version": version}, "paths": paths,
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                              "bearerFormat": "JWT"}}}}


def swagger_ui_html(openapi_url: str, assets: str, title: str) -> str:
    """A Swagger UI page whose assets come from this server (the swagger-ui-bundle package)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/docs-init.js" data-openapi="{openapi_url}"></script>
</body></html>"""


SWAGGER_INIT_JS = """
window.ui = SwaggerUIBundle({
  url: document.currentScript.dataset.openapi,
  dom_id: '#swagger-ui',
  persistAuthorization: true,
  requestInterceptor: (req) => {
    // Use the token of the signed-in web session when no token was entered.
    const token = localStorage.getItem('token');
    if (token && !req.headers.Authorization) req.headers.Authorization = 'Bearer ' + token;
    return req;
  },
});
"""

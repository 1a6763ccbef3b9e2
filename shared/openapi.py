"""The platform's OpenAPI documents, and the Swagger UI page.

One set of rules for every generator, so the gateway's merged document (gateway_app/docs.py)
reads the same everywhere:
- one security scheme, `bearerAuth` (FastAPI's HTTPBearer is declared under that name in
  shared/auth.py), on every operation that needs a token;
- one error envelope schema (`ERROR_SCHEMA`, component "ErrorEnvelope", the shape that
  shared/errors.py renders), referred to by every error answer;
- request bodies and success answers taken from the code's own pydantic models.

Flask: `flask_openapi(app, title)` reads the URL map. A view wrapped in `require_auth`
is protected (its roles are listed); `@accepts(Model)` names the body the view reads with
json_body(); `@answers(201, Model)` names the success answer (every JSON answer names a
model from the service's models.py, and the view builds its reply through it:
tests/test_openapi_contract.py fails on an answer described only in prose); `@undocumented`
leaves a view out. FastAPI makes its own document from its routes; `document_fastapi(app)` brings
it to the same rules (its 422 is answered as a 400 envelope by shared/errors.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

OPENAPI_VERSION = "3.1.0"   # pydantic's schemas are JSON Schema 2020-12, as OpenAPI 3.1
SECURITY_SCHEME = "bearerAuth"
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                 "description": "The token from POST /auth/login on the gateway."}
SECURITY = [{SECURITY_SCHEME: []}]

ERROR_COMPONENT = "ErrorEnvelope"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
ERROR_SCHEMA = {
    "type": "object",
    "title": ERROR_COMPONENT,
    "description": "Every error of every service and of the gateway (shared/errors.py).",
    "required": ["error", "code", "correlation_id"],
    "properties": {
        "error": {"type": "string", "description": "A message for a person."},
        "code": {"type": "string", "description": "A machine-readable code, e.g. slot_taken."},
        "correlation_id": {"type": "string", "description": "Quote it when reporting a problem."},
        "details": {"description": "Field errors: [{field, message}]; only when there are any."},
    },
    "example": {"error": "Some fields are not valid.", "code": "validation_error",
                "correlation_id": "5f0c6b1e9a2d4c7e", "details": [{"field": "email", "message": "Field required"}]},
}

ERROR_STATUSES = {
    "400": "Invalid input: malformed JSON, or a field or query parameter that is not valid (see details)",
    "401": "No token, a bad or expired token, or a session that has ended",
    "403": "The token's role may not do this",
    "404": "Not found",
    "409": "Conflicts with the current state (e.g. taken, duplicate, a reused Idempotency-Key)",
    "413": "The request body is too large",
    "415": "The request body is not application/json",
    "429": "Too many requests; see Retry-After",
}
OTHER_ERRORS = "Any other error, in the same envelope (502, 503, 504: an upstream service failed)"
_INFRASTRUCTURE = ("/openapi.json", "/metrics", "/health", "/ready")
_WRITES = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Answer:
    status: int = 200
    model: Any = None
    description: str = ""
    media_type: str | None = "application/json"
    errors: tuple[str, ...] = ()


def accepts(model, media_type: str = "application/json"):
    """Record the pydantic model a view reads with json_body(), for the document; a view that
    takes a file names its form instead, e.g. accepts(Upload, "multipart/form-data") with a
    `bytes` field (documented as a binary string, the file picker of Swagger UI)."""
    def decorator(view):
        view.__openapi_body__ = model
        view.__openapi_body_media__ = media_type
        return view
    return decorator


def answers(status: int = 200, model: Any = None, *, description: str = "",
            media_type: str | None = "application/json", errors: Iterable[int] = (), bearer: bool | None = None):
    """Record a view's success answer (a pydantic model, or a type such as list[Model]) and
    any error statuses beyond the usual ones. bearer=True documents a view that checks the
    token itself instead of through require_auth."""
    def decorator(view):
        view.__openapi_answer__ = Answer(status, model, description, media_type, tuple(str(e) for e in errors))
        if bearer is not None:
            view.__openapi_bearer__ = bearer
        return view
    return decorator


def undocumented(view):
    """Leave a view out of the document (a redirect for browsers, not an API)."""
    view.__openapi_hidden__ = True
    return view


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def error_responses(*, protected: bool, has_body: bool, has_path_params: bool, write: bool,
                    body_statuses: Iterable[str] = ("413", "415"), extra: Iterable[str] = ()) -> dict:
    """The error answers of an operation, by what it takes; anything rarer is "default"."""
    statuses = {"400"} | set(extra)
    if protected:
        statuses |= {"401", "403"}
    if has_path_params:
        statuses.add("404")
    if write:
        statuses.add("409")
    if has_body:
        statuses |= set(body_statuses)
    responses = {status: error_response(ERROR_STATUSES.get(status, "Error")) for status in sorted(statuses)}
    responses["default"] = error_response(OTHER_ERRORS)
    return responses


def schema_of(model: Any, schemas: dict, *, mode: str = "validation", inline: bool = False) -> dict:
    """The JSON schema of a pydantic model or type, nested models moved into `schemas` (the
    document's components) and referred to. A named model itself is referred to as well,
    unless `inline` (request bodies are shown in full)."""
    from pydantic import BaseModel, TypeAdapter

    template = "#/components/schemas/{model}"
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template=template, mode=mode)
    else:
        schema = TypeAdapter(model).json_schema(ref_template=template, mode=mode)
    schemas.update(schema.pop("$defs", {}))
    if inline or not (isinstance(model, type) and issubclass(model, BaseModel)):
        return schema
    schemas[model.__name__] = schema
    return {"$ref": template.format(model=model.__name__)}


def success_response(answer: Answer, schemas: dict) -> dict:
    description = answer.description or ("Created" if answer.status == 201 else "OK")
    if answer.media_type is None:
        return {"description": description}
    if answer.media_type != "application/json":
        return {"description": description, "content": {answer.media_type: {"schema": {"type": "string"}}}}
    schema = schema_of(answer.model, schemas, mode="serialization") if answer.model is not None else {}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# ----------------------------------------------------------------------------- Flask
def _parameter(name: str, converter: Any) -> dict:
    kind = type(converter).__name__
    if kind == "IntegerConverter":
        schema: dict = {"type": "integer", "minimum": 0}
    elif kind == "AnyConverter":
        schema = {"type": "string", "enum": sorted(converter.items)}
    else:
        schema = {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def flask_openapi(app, title: str, version: str = "1.0.0", *, include=None) -> dict[str, Any]:
    """The document of a Flask app; `include(rule)` may narrow it to some routes."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {ERROR_COMPONENT: ERROR_SCHEMA}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if (rule.endpoint == "static" or rule.rule in _INFRASTRUCTURE or getattr(view, "__openapi_hidden__", False)
                or (include is not None and not include(rule))):
            continue
        names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        parameters = [_parameter(name, rule._converters.get(name)) for name in names]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _flask_operation(rule, view, method.lower(), parameters,
                                                                          schemas)
    return {"openapi": OPENAPI_VERSION, "info": {"title": title, "version": version}, "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": {SECURITY_SCHEME: BEARER_SCHEME}}}


def _flask_operation(rule, view, method: str, parameters: list, schemas: dict) -> dict:
    doc = (view.__doc__ or "").strip()
    roles = getattr(view, "__openapi_roles__", None)      # set by shared.auth.require_auth
    protected = getattr(view, "__openapi_bearer__", roles is not None)
    answer = getattr(view, "__openapi_answer__", None) or Answer()
    model = getattr(view, "__openapi_body__", None)
    description = doc
    if roles:
        description = f"{doc}\n\nRoles: {', '.join(roles)}.".strip()
    operation: dict[str, Any] = {
        "summary": doc.splitlines()[0] if doc else rule.endpoint.rpartition(".")[2].replace("_", " "),
        "operationId": f"{rule.endpoint.replace('.', '_')}_{method}",
        "parameters": parameters,
    }
    if "." in rule.endpoint:
        operation["tags"] = [rule.endpoint.partition(".")[0]]
    if description:
        operation["description"] = description
    if protected:
        operation["security"] = SECURITY
    if model is not None:
        media_type = getattr(view, "__openapi_body_media__", "application/json")
        operation["requestBody"] = {"required": True, "content": {media_type: {
            "schema": schema_of(model, schemas, inline=True)}}}
    operation["responses"] = {
        str(answer.status): success_response(answer, schemas),
        # 409 only where the view says so: the view, not its method, knows what can conflict.
        **error_responses(protected=protected, has_body=model is not None, has_path_params=bool(parameters),
                          write=False, extra=answer.errors)}
    return operation


# --------------------------------------------------------------------------- FastAPI
def document_fastapi(app) -> None:
    """Bring FastAPI's own document to the platform's rules: one security scheme, the
    error envelope on every operation, and no 422 (shared/errors.py answers it as 400)."""
    build = app.openapi

    def openapi():
        if app.openapi_schema is None:
            doc = build()
            components = doc.setdefault("components", {})
            schemas = components.setdefault("schemas", {})
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            schemas[ERROR_COMPONENT] = ERROR_SCHEMA
            components["securitySchemes"] = {SECURITY_SCHEME: BEARER_SCHEME}
            for operations in doc.get("paths", {}).values():
                for method, operation in operations.items():
                    if method not in ("get", "put", "post", "delete", "patch"):
                        continue
                    if operation.get("security"):
                        operation["security"] = SECURITY
                    responses = operation.setdefault("responses", {})
                    responses.pop("422", None)
                    parameters = operation.get("parameters", [])
                    # A path id, an id in the query or a body (room_id) may name what does not exist.
                    refers = "requestBody" in operation or any(
                        p.get("in") == "path" or p.get("name", "").endswith("_id") for p in parameters)
                    for status, response in error_responses(
                            protected=bool(operation.get("security")), has_body="requestBody" in operation,
                            has_path_params=refers, write=method in _WRITES,
                            body_statuses=("413",)).items():
                        responses.setdefault(status, response)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi


def swagger_ui_html(openapi_url: str, assets: str, title: str) -> str:
    """A Swagger UI page whose assets come from this server (npm's swagger-ui-dist, on the gateway)."""
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

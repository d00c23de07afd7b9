"""The contracts (contracts/openapi.yaml) as the emulator's first line of request validation.

Request bodies are validated against the operation's schema; the first failure becomes a vendor
error that names the field. What a schema cannot say (model x duration x resolution tables,
conditional defaults) lives in each area's rule tables.

Responses are checked against the same document (``validate_response``): the test suite runs it on
every answer it sees, and the live contract suite on the real service's answers.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from viduemu.core.errors import ViduError

# jsonschema keyword -> vendor reason
REASON_BY_KEYWORD = {
    "required": "FieldLacking",
    "minLength": "FieldLacking",  # only ever used as "must not be empty"
    "additionalProperties": "FieldUnwanted",
    "unevaluatedProperties": "FieldUnwanted",
    "minItems": "FieldItemCountOutOfRange",
    "maxItems": "FieldItemCountOutOfRange",
}


def contract_path(name: str) -> Path:
    packaged = resources.files("viduemu") / "_contracts" / name
    return Path(str(packaged))


@functools.cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A JSON Schema ``pattern`` (an ECMA-262 regex) as a Python regex that matches the same strings where
    the two differ in a way that matters here: ECMA's ``$`` (no multiline flag) is the end of the string,
    Python's also matches before a final newline, which let ``"16:9\\n"`` through ``^...$``. So an
    unescaped ``$`` outside a character class becomes ``\\Z``."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 2020-12 with ECMA's reading of ``pattern`` (the compiled jsonschema_rs twin reads it so already).
ContractValidator: type[Draft202012Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _pattern})


class Contracts:
    def __init__(self, path: Path | None = None):
        self.path = path or contract_path("openapi.yaml")
        self.document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._fast: dict[tuple[str, str], jsonschema_rs.Validator] = {}  # twins of the request validators
        self._response_validators: dict[int, Draft202012Validator] = {}  # by id() of a schema in the document
        self._declared: dict[tuple[str, str], frozenset[str] | None] = {}  # (method, path) -> declared fields

    @cached_property
    def _components(self) -> dict[str, Any]:
        return {"components": self.document.get("components", {})}

    def request_validator(self, method: str, path: str) -> Draft202012Validator | None:
        key = (method.lower(), path)
        if key not in self._validators:
            op = self.document.get("paths", {}).get(path, {}).get(method.lower())
            schema = None
            if op and "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
            full = None if schema is None else {**schema, **self._components}
            self._validators[key] = None if full is None else ContractValidator(full)
            if full is not None:
                self._fast[key] = jsonschema_rs.validator_for(full)
        return self._validators[key]

    def validate_request(self, method: str, path: str, body: Any) -> None:
        validator = self.request_validator(method, path)
        if validator is None:
            return
        # The compiled (Rust) validator answers "valid" in about a microsecond; the Python one only
        # runs to explain a failure in the vendor's terms.
        try:
            if self._fast[(method.lower(), path)].is_valid(body):
                return
        except ValueError:  # a value the compiled validator cannot represent: let the full one judge
            pass
        error = next(iter(sorted(validator.iter_errors(body), key=_error_rank)), None)
        if error is not None:
            raise to_vendor_error(error)

    def undeclared(self, method: str, path: str, body: Mapping[str, Any]) -> list[str]:
        """The top-level fields of ``body`` that the operation's request schema does not declare (in any
        branch of its allOf/anyOf/oneOf/if): what the emulator accepts and ignores. An operation without a
        request schema, or whose schema takes any field (``additionalProperties: {...}``), has none."""
        key = (method.lower(), path)
        if key not in self._declared:
            op = self.document.get("paths", {}).get(path, {}).get(method.lower()) or {}
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            self._declared[key] = None if schema is None else self._properties(schema)
        declared = self._declared[key]
        return [] if declared is None else [name for name in body if name not in declared]

    def _properties(self, schema: Any) -> frozenset[str] | None:
        """The property names a schema declares; None if it takes any (an open ``additionalProperties``)."""
        names: set[str] = set()
        stack = [schema]
        while stack:
            node = self._deref(stack.pop())
            if not isinstance(node, dict):
                continue
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) and extra or node.get("patternProperties"):
                return None
            names.update(node.get("properties", {}))
            for word in ("allOf", "anyOf", "oneOf"):
                stack.extend(node.get(word, []))
            stack.extend(node[word] for word in ("if", "then", "else") if word in node)
        return frozenset(names)

    # -- responses -----------------------------------------------------------
    @cached_property
    def _registry(self) -> Registry[Any]:
        registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(self.document))
        return registry

    @cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        """Path templates as regexes, literal paths before templated ones (``/x/list`` beats ``/x/{id}``).

        A parameter marked ``x-multi-segment: true`` may span several segments (file paths).
        """
        compiled = []
        for template in sorted(self.document.get("paths", {}), key=lambda p: (p.count("{"), -len(p))):
            greedy = self._multi_segment_params(template)
            pattern = "".join(
                ("(.+)" if part[1:-1] in greedy else "([^/]+)") if PATH_PARAM.fullmatch(part) else re.escape(part)
                for part in re.split(r"(\{[^/}]*\})", template))
            compiled.append((re.compile(f"^{pattern}$"), template))
        return compiled

    def _multi_segment_params(self, template: str) -> set[str]:
        item = self.document["paths"][template]
        params = list(item.get("parameters", [])) + [
            p for method, op in item.items() if method in HTTP_METHODS for p in op.get("parameters", [])]
        return {p["name"] for p in map(self._deref, params) if p.get("in") == "path" and p.get("x-multi-segment")}

    def match_path(self, path: str) -> str | None:
        """The contract's path template that a concrete request path falls under, or None."""
        return next((template for pattern, template in self._templates if pattern.match(path)), None)

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every HTTP operation of the contract as ``(METHOD, path template, operation)``."""
        return [(method.upper(), path, op) for path, item in self.document.get("paths", {}).items()
                for method, op in item.items() if method in HTTP_METHODS]

    def nearest_operation(self, method: str, path: str, cutoff: float = 0.75) -> str | None:
        """``"METHOD /path/template"``: the operation a request for an unknown path most likely meant (its
        path parameters compared as the request's own segments), or None under ``cutoff``. Only a path
        whose first segment is one of the contract's (not the control plane's) is a near miss."""
        if len(path) > 200:  # no vendor path is that long; difflib's cost grows with it
            return None
        segments = path.split("/")
        vendor = [(m, p) for m, p, _ in self.operations() if not p.startswith("/_emulator")]
        if len(segments) < 2 or segments[1] not in {p.split("/")[1] for _, p in vendor}:
            return None
        asked = f"{method.upper()} {path}"

        def score(candidate: tuple[str, str]) -> float:
            parts = candidate[1].split("/")
            filled = "/".join(segments[i] if PATH_PARAM.fullmatch(part) and i < len(segments) else part
                              for i, part in enumerate(parts))
            return difflib.SequenceMatcher(None, asked, f"{candidate[0]} {filled}").ratio()

        best = max(vendor, key=score, default=None)
        return f"{best[0]} {best[1]}" if best is not None and score(best) >= cutoff else None

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while isinstance(node, dict) and "$ref" in node:
            node = self._registry.resolver(DOCUMENT_URI).lookup(node["$ref"]).contents
        return node

    def validate_response(self, method: str, path: str, status: int, headers: Mapping[str, str],
                          body: bytes) -> None:
        """Raise ``ContractViolation`` unless the contract describes this answer exactly.

        The operation is found by matching ``path`` against the path templates; the response by
        status code, then ``2XX``-style ranges, then ``default``; a JSON body must match its schema,
        any other body must carry one of the declared media types. An answer for a path the contract
        does not know is allowed only as the vendor envelope of 404 ``NotFound``, and for a method it
        does not know only as 404/405 in the envelope; anything else is a violation.
        """
        method = method.upper()
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        content_type = content_type.split(";")[0].strip().lower()
        where = f"{method} {path} -> {status}"
        template = self.match_path(path)
        op = self.document["paths"][template].get(method.lower()) if template else None
        if op is None and method == "HEAD" and template:
            op = self.document["paths"][template].get("get")
        if op is None:
            allowed = {404: "NotFound"} if template is None else {404: "NotFound", 405: "MethodNotAllowed"}
            body_json = _json(body, where) if content_type == "application/json" else None
            if status not in allowed or not isinstance(body_json, dict) or body_json.get("reason") != allowed[status]:
                raise ContractViolation(f"{where}: the contract does not describe {method} "
                                        f"{template or path} (only a {'/'.join(map(str, allowed))} "
                                        f"envelope may answer it)")
            self._check_schema(ERROR_SCHEMA, body_json, where)
            return
        responses = op.get("responses", {})
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None:
            raise ContractViolation(f"{where}: status {status} is not among the documented responses "
                                    f"{sorted(responses)} of {method} {template}")
        response = self._deref(response)
        content = response.get("content") or {}
        if method == "HEAD" or status in (204, 304):
            return
        if not content:
            if body:
                raise ContractViolation(f"{where}: the contract documents no body, got {len(body)} bytes")
            return
        media = content.get(content_type) or next(
            (m for t, m in content.items() if t.endswith("/*") and content_type.startswith(t[:-1])), None)
        if media is None and "*/*" not in content:
            raise ContractViolation(f"{where}: content type {content_type!r} is not one of {sorted(content)}")
        if content_type == "application/json":
            body_json = _json(body, where)
            schema = (media or {}).get("schema")
            if schema is not None:
                self._check_schema(schema, body_json, where)
            # The vendor envelope's code is the HTTP status (the aggregator dialect's errors have none).
            if (status >= 400 and isinstance(body_json, dict) and "error" not in body_json
                    and body_json.get("code") != status):
                raise ContractViolation(f"{where}: envelope code {body_json.get('code')!r} differs from the "
                                        f"HTTP status")

    def _check_schema(self, schema: dict[str, Any], instance: Any, where: str) -> None:
        validator = self._response_validators.get(id(schema))
        if validator is None:
            validator = ContractValidator(_rebase(schema), registry=self._registry)
            self._response_validators[id(schema)] = validator
        error = next(iter(sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))), None)
        if error is not None:
            at = "/".join(map(str, error.absolute_path)) or "(body)"
            raise ContractViolation(f"{where}: body at {at}: {short(error)}")


DOCUMENT_URI = "urn:viduemu:openapi"
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
PATH_PARAM = re.compile(r"\{[^/}]*\}")   # a {param} segment of a contract's path


class ContractViolation(AssertionError):
    """An answer the contract does not describe (raised by ``Contracts.validate_response``)."""


def _rebase(node: Any) -> Any:
    """The schema with its local ``#/...`` references pointed into the OpenAPI document."""
    if isinstance(node, dict):
        return {k: (DOCUMENT_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rebase(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def _json(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ContractViolation(f"{where}: the body is not JSON although the content type says so") from None


def _error_rank(error: ValidationError) -> tuple[bool, int, list[str]]:
    # Report missing fields before invalid ones, shallow before deep, then in document order.
    return (error.validator != "required", len(error.path), [str(p) for p in error.path])


def field_name(error: ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        required = error.validator_value if isinstance(error.validator_value, list) else []
        present = error.instance if isinstance(error.instance, dict) else {}  # "required" judges objects only
        missing = next((m for m in required if m not in present), None)
        if missing:
            parts.append(missing)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = next((k for k in error.instance if k not in allowed), None)
        if extra:
            parts.append(extra)
    return ".".join(parts) or "body"


def to_vendor_error(error: ValidationError) -> ViduError:
    reason = REASON_BY_KEYWORD.get(str(error.validator), "FieldInvalid")
    field = field_name(error)
    if reason == "FieldInvalid":
        return ViduError(reason, f"invalid field: {field} ({short(error)})", fields=field)
    return ViduError(reason, fields=field)


def short(error: ValidationError) -> str:
    """A validation error's message, at most 160 characters."""
    if error.validator == "not" and error.validator_value == {} and isinstance(error.schema, Mapping):
        return str(error.schema.get("description", "not allowed here"))  # the contract's "must be absent"
    text = error.message
    return text if len(text) <= 160 else text[:157] + "..."

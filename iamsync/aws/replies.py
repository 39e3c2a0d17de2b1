"""Reading AWS's XML replies (the query protocol of IAM and STS) faster than botocore's
generic walk, to the same result.

botocore's parser walks each element through several generic steps: a regular expression
strips the namespace of every tag, a dict of every child is built for each structure, and
each member of the shape is then looked up in it. On a large account's
GetAccountAuthorizationDetails reply that walk was most of the parse after timestamps
(measured: 0.45 s of a 6 MB page). This parser does the same walk with what each
structure shape needs compiled once: a child's tag is read once and leads straight to its
member and handler.

It is botocore's QueryParser, with only its structure step replaced, and it gives up to
botocore's own step for anything that step does differently: a tag repeated where the
shape expects one element, a shape that is an exception, a tagged union, or a member read
from an attribute or a header. Everything else (XML parsing, errors, response metadata,
lists, maps and every other scalar) is botocore's. Tests compare the two on every member of
the reply shapes iamsync reads, on moto's replies and on hostile ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.model import Shape
from botocore.parsers import QueryParser, ResponseParserError, ResponseParserFactory

_Handler = Callable[[Any], Any]
_Plan = dict[str, tuple[str, _Handler]]  # a child's tag -> its member, and how to read it
# botocore's parsers, whose private steps its type stubs do not list
_QueryParser: Any = QueryParser
_Factory: Any = ResponseParserFactory


class FastQueryParser(_QueryParser):  # type: ignore[misc]
    def parse(self, response: Any, shape: Any) -> Any:
        """botocore's parse; a reply whose text its shape cannot hold (an integer that is a
        word, a date that is none) is a reply that is not AWS's: ResponseParserError, which
        iamsync says in one line, where botocore would let ValueError through."""
        try:
            return super().parse(response, shape)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise ResponseParserError(
                f"a reply its shape cannot hold: {type(exc).__name__}"
            ) from exc

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._plans: dict[str, _Plan | None] = {}  # None: botocore's own step reads it
        self._local: dict[str, str] = {}  # "{namespace}Name" -> "Name"

    def _handle_structure(self, shape: Shape, node: Any) -> Any:
        if shape.name not in self._plans:
            self._plans[shape.name] = self._compile(shape)
        plan = self._plans[shape.name]
        if plan is None or isinstance(node, list):
            return super()._handle_structure(shape, node)
        parsed: dict[str, Any] = {}
        local = self._local
        for child in node:
            tag = child.tag
            name = local.get(tag)
            if name is None:
                name = local[tag] = self._node_tag(child)
            entry = plan.get(name)
            if entry is None:
                continue  # not a member: botocore ignores it too
            member, handle = entry
            if member in parsed:  # repeated: botocore makes a list of them; its step decides
                return super()._handle_structure(shape, node)
            try:
                parsed[member] = handle(child)
            except Exception:  # what botocore's step does with it (a repeat may excuse it)
                return super()._handle_structure(shape, node)
        return parsed

    def _compile(self, shape: Any) -> _Plan | None:
        if shape.metadata.get("exception", False) or shape.is_tagged_union:
            return None
        plan: _Plan = {}
        for member, member_shape in shape.members.items():
            serialization = member_shape.serialization
            if (
                "location" in serialization
                or serialization.get("eventheader")
                or serialization.get("xmlAttribute")
                or serialization.get("flattened")
            ):
                return None
            plan[self._member_key_name(member_shape, member)] = (
                member,
                self._handler(member_shape),
            )
        return plan

    def _handler(self, shape: Any) -> _Handler:
        kind = shape.type_name
        if kind == "string":
            return _text
        if kind == "boolean":
            return lambda node: _text(node) == "true"
        if kind == "integer" or kind == "long":
            return lambda node: int(_text(node))
        if kind == "timestamp":
            parse = self._timestamp_parser
            return lambda node: parse(_text(node))
        if kind == "list" and not shape.serialization.get("flattened"):
            item = self._handler(shape.member)
            return lambda node: [item(child) for child in node]
        if kind == "structure":
            return lambda node: self._handle_structure(shape, node)
        return lambda node: self._parse_shape(shape, node)


def _text(node: Any) -> str:
    text: str | None = node.text
    return "" if text is None else text


class FastParsers(_Factory):  # type: ignore[misc]
    """botocore's parser factory, with the query protocol read by FastQueryParser."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "query":
            return FastQueryParser(**self._defaults)
        return super().create_parser(protocol_name)

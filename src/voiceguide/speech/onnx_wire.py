"""Just enough of ONNX's protobuf wire format to cut a graph in two, without the onnx package.

Why not ``onnx``: importing it took 1.2 s here (its ml_dtypes extension), in
every Piper worker, and it adds 36 MB to an install; a cut needs a few fields
of the graph and its nodes, and copies everything else as bytes it never
decodes (the 63 MB of weights are sliced, not parsed).

Field numbers are onnx.proto's: ModelProto.graph 7; GraphProto node 1, name
2, initializer 5, input 11, output 12, sparse_initializer 15; NodeProto input
1, output 2, op_type 4, attribute 5; AttributeProto name 1, ints 8, g 6,
graphs 11; TensorProto dims 1, data_type 2, name 8; ValueInfoProto name 1,
type 2; TypeProto.tensor_type 1; TypeProto.Tensor.elem_type 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

FLOAT = 1  # TensorProto.DataType.FLOAT


class WireError(ValueError):
    """The bytes are not the protobuf this reader expects."""


@dataclass(frozen=True)
class Weight:
    dims: list[int]
    data_type: int  # TensorProto.DataType: FLOAT 1, FLOAT16 10, ...
    raw: memoryview


@dataclass
class Node:
    inputs: list[str]
    outputs: list[str]
    op_type: str
    ints: dict[str, list[int]]  # integer-list attributes: kernel_shape, pads, strides, ...
    has_graph: bool  # an If or Loop body, which reads outer tensors by name
    raw: memoryview  # the whole GraphProto.node record, copied as is
    attributes: set[str] = field(default_factory=set)  # every attribute's name (auto_pad, ...)


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    initializers: dict[str, Weight] = field(default_factory=dict)
    inputs: list[tuple[str, memoryview]] = field(default_factory=list)
    outputs: list[tuple[str, memoryview]] = field(default_factory=list)
    sparse: bool = False  # sparse initializers: not handled, so not cut


@dataclass
class Model:
    graph: Graph
    rest: list[memoryview]  # every ModelProto record but the graph (versions, opsets, functions)


def read_model(data: bytes) -> Model:
    """The graph's nodes, weights and ends, each keeping its own bytes."""
    view = memoryview(data)
    rest: list[memoryview] = []
    graph: Graph | None = None
    for number, value, raw in _fields(view):
        if number == 7 and isinstance(value, memoryview):
            graph = _graph(value)
        else:
            rest.append(raw)
    if graph is None:
        raise WireError("no graph in the model")
    return Model(graph, rest)


def write_model(
    model: Model,
    name: str,
    nodes: list[Node],
    inputs: Sequence[memoryview | bytes],
    outputs: Sequence[memoryview | bytes],
) -> bytes:
    """A ModelProto of ``model``'s other records around a graph of these nodes and ends.

    The weights kept are the ones the nodes read; ``inputs`` and ``outputs`` are
    GraphProto.input and .output records (``value_info`` makes new ones).
    """
    used = {i for n in nodes for i in n.inputs}
    parts: list[memoryview | bytes] = [n.raw for n in nodes]
    parts.append(_record(2, name.encode()))
    parts += [w.raw for key, w in model.graph.initializers.items() if key in used]
    parts += [*inputs, *outputs]
    graph = b"".join(parts)
    return b"".join([*model.rest, _key(7, 2), _varint_bytes(len(graph)), graph])


def value_info(number: int, name: str, elem_type: int = FLOAT) -> bytes:
    """A GraphProto.input (11) or .output (12) record: a tensor of any shape."""
    tensor = _key(1, 0) + _varint_bytes(elem_type)
    kind = _record(1, tensor)  # TypeProto.tensor_type
    return _record(number, _record(1, name.encode()) + _record(2, kind))


# ------------------------------------------------------------------ reading


def _graph(view: memoryview) -> Graph:
    graph = Graph()
    for number, value, raw in _fields(view):
        if not isinstance(value, memoryview):
            continue
        if number == 1:
            graph.nodes.append(_node(value, raw))
        elif number == 5:
            name, dims, data_type = _tensor(value)
            graph.initializers[name] = Weight(dims, data_type, raw)
        elif number in (11, 12):
            ends = graph.inputs if number == 11 else graph.outputs
            ends.append((_first_string(value, 1), raw))
        elif number == 15:
            graph.sparse = True
    return graph


def _node(view: memoryview, raw: memoryview) -> Node:
    node = Node([], [], "", {}, False, raw)
    for number, value, _ in _fields(view):
        if not isinstance(value, memoryview):
            continue
        if number == 1:
            node.inputs.append(_text(value))
        elif number == 2:
            node.outputs.append(_text(value))
        elif number == 4:
            node.op_type = _text(value)
        elif number == 5:
            name, ints, has_graph = _attribute(value)
            node.has_graph |= has_graph
            node.attributes.add(name)
            if ints:
                node.ints[name] = ints
    return node


def _attribute(view: memoryview) -> tuple[str, list[int], bool]:
    name, ints, has_graph = "", [], False
    for number, value, _ in _fields(view):
        if number == 1 and isinstance(value, memoryview):
            name = _text(value)
        elif number == 8:  # repeated int64, packed or not
            ints += _packed(value) if isinstance(value, memoryview) else [_signed(value)]
        elif number in (6, 11):
            has_graph = True
    return name, ints, has_graph


def _tensor(view: memoryview) -> tuple[str, list[int], int]:
    name, dims, data_type = "", [], 0
    for number, value, _ in _fields(view):
        if number == 8 and isinstance(value, memoryview):
            name = _text(value)
        elif number == 1:
            dims += _packed(value) if isinstance(value, memoryview) else [_signed(value)]
        elif number == 2 and isinstance(value, int):
            data_type = value
    return name, dims, data_type


def _first_string(view: memoryview, wanted: int) -> str:
    for number, value, _ in _fields(view):
        if number == wanted and isinstance(value, memoryview):
            return _text(value)
    return ""


def _fields(view: memoryview) -> Iterator[tuple[int, int | memoryview, memoryview]]:
    """(field number, value, the record's bytes): varints as ints, the rest as bytes."""
    pos, end = 0, len(view)
    while pos < end:
        start = pos
        key, pos = _varint(view, pos)
        number, kind = key >> 3, key & 7
        value: int | memoryview
        if kind == 0:
            value, pos = _varint(view, pos)
        elif kind in (1, 5):
            width = 8 if kind == 1 else 4
            value, pos = view[pos : pos + width], pos + width
        elif kind == 2:
            size, pos = _varint(view, pos)
            value, pos = view[pos : pos + size], pos + size
        else:
            raise WireError(f"wire type {kind} at byte {start}")
        if pos > end:
            raise WireError(f"a field runs past the end at byte {start}")
        yield number, value, view[start:pos]


def _varint(view: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(view) or shift > 63:
            raise WireError(f"a broken varint at byte {pos}")
        byte = view[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _packed(view: memoryview) -> list[int]:
    out, pos = [], 0
    while pos < len(view):
        value, pos = _varint(view, pos)
        out.append(_signed(value))
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(view: memoryview) -> str:
    return bytes(view).decode("utf-8")


# ------------------------------------------------------------------ writing


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(number: int, kind: int) -> bytes:
    return _varint_bytes(number << 3 | kind)


def _record(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint_bytes(len(payload)) + payload

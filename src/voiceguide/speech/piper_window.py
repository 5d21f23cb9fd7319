"""Piper's decoder a window at a time: the same samples in a little over half the memory.

Why: a Piper voice is one ONNX graph from phonemes to samples, and its last
stage (a HiFi-GAN decoder that upsamples 256 times) holds several float
tensors as long as the sentence's samples. At the default pace the longest
sentence of the routines took a worker from 149 MB to 449 MB. That decoder
only looks a few frames either side, being convolutions, so the graph is cut
where the decoder starts and the decoder runs over windows of 256 frames plus
its reach on each side. Measured on the 40 longest sentences of the four
routines: the same samples to the bit, a peak of 260 MB instead of 471, the
same CPU time (``scripts/bench`` reports the worker's peak).

The cut is found, not assumed: the decoder's input is what feeds the
convolution whose weight Piper's training code names ``dec.conv_pre.weight``;
every node from there to the samples must be local in time (one-dimensional
convolutions and element-wise steps), and its reach is added up from their
kernels, dilations and strides; and each worker checks once, on noise, that
the windows give what the whole decoder gives. A voice that does not fit runs
the graph whole, as before. The cut reads the file's protobuf itself
(``onnx_wire``).
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .onnx_wire import FLOAT, Graph, Node, read_model, value_info, write_model

WINDOW_FRAMES = 256  # 65,536 samples: 260 MB at the peak; 128 gave 223 MB, 512 gave 336 MB
DECODER_WEIGHT = "dec.conv_pre.weight"
# Operations that keep the time axis last and look only at nearby samples.
_LOCAL = frozenset({
    "Conv", "ConvTranspose", "LeakyRelu", "Relu", "Tanh", "Sigmoid",
    "Add", "Sub", "Mul", "Div", "Constant", "Unsqueeze", "Identity",
})  # fmt: skip


@dataclass(frozen=True)
class Shape:
    """What running the decoder in windows needs to know about it."""

    latent: str  # the tensor between the halves, shaped (1, channels, frames)
    channels: int  # the latent's channels
    reach: int  # frames the decoder looks at on each side of the one it makes
    hop: int  # samples per frame


@dataclass(frozen=True)
class Split:
    """A Piper graph cut in two where its decoder starts."""

    encoder: bytes  # phonemes to the decoder's input (and the graph's other outputs)
    decoder: bytes  # the decoder's input to samples
    shape: Shape


@dataclass(frozen=True)
class Window:
    """Decode frames ``lo:hi``; keep the samples of frames ``start:end``."""

    lo: int
    hi: int
    start: int
    end: int


def windows(frames: int, size: int, reach: int) -> list[Window]:
    """Windows that keep each frame once, each read with ``reach`` frames of context."""
    return [
        Window(max(0, s - reach), min(frames, s + size + reach), s, min(frames, s + size))
        for s in range(0, frames, size)
    ]


def decode(
    run: Any, latent: np.ndarray, hop: int, reach: int, size: int = WINDOW_FRAMES
) -> np.ndarray:
    """``run`` (the decoder: latent to samples) over windows of the last axis, joined."""
    frames = latent.shape[-1]
    if frames <= size + 2 * reach:
        return np.asarray(run(latent))
    parts = []
    for w in windows(frames, size, reach):
        out = run(np.ascontiguousarray(latent[..., w.lo : w.hi]))
        if out.shape[-1] != (w.hi - w.lo) * hop:
            raise ValueError(f"the decoder made {out.shape[-1]} samples of {w.hi - w.lo} frames")
        first = (w.start - w.lo) * hop
        parts.append(out[..., first : first + (w.end - w.start) * hop])
    return np.concatenate(parts, axis=-1)


@dataclass(frozen=True)
class Cut:
    """Where a graph is cut: the nodes on each side and what the decoder reads."""

    latent: str
    encoder: list[Node]
    decoder: list[Node]
    reach: int
    hop: int


def find_cut(graph: Graph) -> Cut | None:
    """The cut before Piper's decoder, or None unless the decoder is local in time.

    It must read nothing but the latent and its own weights (a multi-speaker
    voice's decoder reads the speaker too), be made of ``_LOCAL`` steps only,
    and feed no output but the samples.
    """
    if graph.sparse or any(n.has_graph for n in graph.nodes) or not graph.outputs:
        return None  # subgraphs read outer tensors by name: the closures below would miss them
    latent = next((n.inputs[0] for n in graph.nodes if DECODER_WEIGHT in n.inputs[1:]), None)
    outputs = [name for name, _ in graph.outputs]
    if latent is None:
        return None
    decoder = _closure(graph.nodes, [outputs[0]], stop={latent})
    made = {o for n in decoder for o in n.outputs}
    needs = {i for n in decoder for i in n.inputs if i and i not in made}
    if needs - graph.initializers.keys() != {latent}:
        return None
    if any(n.op_type not in _LOCAL for n in decoder) or any(o in made for o in outputs[1:]):
        return None
    shape = _reach(decoder, latent, outputs[0])
    if shape is None:
        return None
    encoder = _closure(graph.nodes, [latent, *outputs[1:]], stop=set())
    return Cut(latent, encoder, decoder, *shape)


def split(model_path: str) -> Split | None:
    """The graph in two where its decoder starts, or None where that cut would not be exact."""
    try:
        with open(model_path, "rb") as fh:
            model = read_model(fh.read())
    except (OSError, ValueError):  # WireError, or names that are not UTF-8
        return None  # the whole graph goes to onnxruntime, which says what is wrong with it
    graph = model.graph
    weight = graph.initializers.get(DECODER_WEIGHT)
    cut = find_cut(graph)
    if cut is None or weight is None or len(weight.dims) != 3:
        return None
    reads = {i for n in cut.encoder for i in n.inputs}
    # Older files list their weights among the inputs too: keep only the encoder's own
    inputs = [raw for name, raw in graph.inputs if name not in graph.initializers or name in reads]
    rest = [raw for _, raw in graph.outputs[1:]]
    kind = weight.data_type or FLOAT
    return Split(
        encoder=write_model(
            model, "encoder", cut.encoder, inputs, [value_info(12, cut.latent, kind), *rest]
        ),
        decoder=write_model(
            model, "decoder", cut.decoder, [value_info(11, cut.latent, kind)], [graph.outputs[0][1]]
        ),
        shape=Shape(cut.latent, weight.dims[1], cut.reach, cut.hop),
    )


def _closure(nodes: list[Node], targets: list[str], stop: set[str]) -> list[Node]:
    """The nodes that ``targets`` are computed from, not looking past ``stop``, in graph order."""
    producer = {o: n for n in nodes for o in n.outputs}
    wanted, seen, keep = list(targets), set(stop), set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        node = producer.get(name)
        if node is not None and id(node) not in keep:
            keep.add(id(node))
            wanted.extend(i for i in node.inputs if i)
    return [n for n in nodes if id(n) in keep]


def _reach(nodes: list[Node], latent: str, output: str) -> tuple[int, int] | None:
    """(frames read on each side, samples per frame) of ``output``, or None if not 1-D local."""
    scale: dict[str, int] = {latent: 1}  # samples per frame at each tensor on the time path
    reach: dict[str, float] = {latent: 0.0}  # frames of ``latent`` it has read on each side
    for node in nodes:
        timed = [i for i in node.inputs if i in scale]
        if not timed:
            continue  # constants and weights
        at = scale[timed[0]]
        if any(scale[i] != at for i in timed):
            return None
        far = max(reach[i] for i in timed)
        if node.op_type in ("Conv", "ConvTranspose"):
            if node.attributes & {"auto_pad", "output_shape"}:
                return None  # padding worked out by onnxruntime: not read here
            kernel = node.ints.get("kernel_shape", [])
            pads = node.ints.get("pads", [0, 0])
            stride = node.ints.get("strides", [1])
            dilation = node.ints.get("dilations", [1])
            if len(kernel) != 1 or len(pads) != 2 or len(stride) != 1 or len(dilation) != 1:
                return None
            if stride[0] < 1 or dilation[0] < 1:
                return None
            if node.op_type == "Conv":
                if stride != [1]:
                    return None
                span = (kernel[0] - 1) * dilation[0]
                far += max(pads[0], span - pads[0]) / at
            else:
                if dilation != [1]:
                    return None
                far += (math.ceil((kernel[0] + max(pads)) / stride[0]) + 1) / at
                at *= stride[0]
        for o in node.outputs:
            scale[o], reach[o] = at, far
    if output not in scale:
        return None
    return math.ceil(reach[output]) + 1, scale[output]


def windowed_session(model: str, session: Callable[[str], Any]) -> WindowedSession | None:
    """The voice cut before its decoder, on two sessions made by ``session`` from a path,
    if the cut is exact here; None where the graph should run whole."""
    cut = split(model)
    if cut is None:
        return None
    shape = cut.shape
    # From files, not bytes: onnxruntime's Python session keeps the bytes it was given
    # (63 MB). Unnamed files (memfd) where the system has them: a worker killed while
    # loading leaves nothing behind.
    with _loadable(cut.encoder) as encoder, _loadable(cut.decoder) as decoder:
        del cut
        windowed = WindowedSession(session(encoder), session(decoder), shape)
    return windowed if windowed.agrees() else None


@contextlib.contextmanager
def _loadable(data: bytes) -> Iterator[str]:
    """A path onnxruntime can load ``data`` from, gone afterwards."""
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("voiceguide-piper")
        try:
            with open(fd, "wb", closefd=False) as fh:
                fh.write(data)
            del data  # the caller lets go of its copy too: loading must not hold both
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="voiceguide-piper-") as folder:
        path = Path(folder, "part.onnx")
        path.write_bytes(data)
        del data
        yield str(path)


class WindowedSession:
    """Stands where ``PiperVoice`` expects an onnxruntime session: ``run(None, feeds)``."""

    def __init__(self, encoder: Any, decoder: Any, shape: Shape) -> None:
        self.encoder, self.decoder, self.shape = encoder, decoder, shape

    def run(self, names: Any, feeds: dict[str, Any], run_options: Any = None) -> list[Any]:
        first = self.encoder.run(None, feeds)
        samples = decode(self._decode, first[0], self.shape.hop, self.shape.reach)
        return [samples, *first[1:]]

    def agrees(self) -> bool:
        """Windows give the whole decoder's samples: checked once per worker, on noise.

        Windows of 8 frames, each read with the reach either side, over enough
        frames that there are several: every window's edge lands where only
        the reach can make it agree.
        """
        size, reach = 8, self.shape.reach
        frames = 4 * size + 2 * reach + 1  # more than one window's worth: never run whole
        noise = np.random.default_rng(0).standard_normal((1, self.shape.channels, frames))
        latent = noise.astype(np.float32)
        whole = self._decode(latent)
        parts = decode(self._decode, latent, self.shape.hop, reach, size=size)
        return bool(whole.shape == parts.shape and np.allclose(whole, parts, rtol=0, atol=1e-5))

    def _decode(self, latent: np.ndarray) -> np.ndarray:
        return np.asarray(self.decoder.run(None, {self.shape.latent: latent})[0])

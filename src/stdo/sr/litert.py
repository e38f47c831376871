"""The LiteRT backend of :class:`stdo.sr.routed.RoutedSR`: exported ``.tflite`` files run with
the LiteRT interpreter (``ai_edge_litert``, the ``export`` extra, imported when a file is
loaded). A module of its own, so that evaluate and the figures, which run PyTorch models, do
not import it (their environments lack it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stdo.core.errors import StdoError


def interpreter(path: str | Path, threads: int = 1):
    """A LiteRT interpreter for ``path`` with its tensors allocated."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as e:
        raise StdoError('the LiteRT backend needs ai-edge-litert: pip install -e ".[export]"') from e
    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    return it


class LiteRTModels:
    """``.tflite`` files (float32 NCHW ``[1, 3, h, w]`` in and out, 0..255) run one patch at a
    time with the LiteRT interpreter, ``threads`` threads each; a file named twice is loaded
    once. A graph has its CaFM segment fixed (one file per segment), so ``group`` is not used."""

    def __init__(self, paths: Sequence[str | Path], threads: int = 1):
        self.paths = [Path(p) for p in paths]
        loaded: dict[Path, Any] = {}
        for p in self.paths:
            if p not in loaded:
                loaded[p] = interpreter(p, threads)
        self.interpreters = [loaded[p] for p in self.paths]
        self._io = []
        for it in self.interpreters:
            inp, out = it.get_input_details()[0], it.get_output_details()[0]
            self._io.append((inp["index"], tuple(inp["shape"]), out["index"], tuple(out["shape"])))

    def __len__(self) -> int:
        return len(self.paths)

    def prepare(self, lr: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(lr).transpose(0, 3, 1, 2), dtype=np.float32)

    def forward(self, i: int, x: np.ndarray, group: int) -> np.ndarray:
        it, (i_in, shape_in, i_out, shape_out) = self.interpreters[i], self._io[i]
        if shape_in != (1, 3, *x.shape[2:4]):
            raise StdoError(f"{self.paths[i]}: exported for input {shape_in}, given images {x.shape[2:4]}")
        out = np.empty((len(x), *shape_out[1:]), dtype=np.float32)
        for j in range(len(x)):
            it.set_tensor(i_in, x[j : j + 1])
            it.invoke()
            out[j] = it.get_tensor(i_out)[0]
        return out

    def finish(self, raw: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(raw.transpose(0, 2, 3, 1)), 0, 255).astype(np.uint8)

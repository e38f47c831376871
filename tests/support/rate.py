"""Helpers of the rate-table tests (``support.rate``): a known HR ladder and a method's bundles
over several LR qualities, as the manifests and metrics the rate report reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

# an x264-like HR ladder: log10 kbit/s linear in PSNR
LADDER_PSNR = np.array([26.0, 28.0, 30.0, 32.0, 34.0])
LADDER_KBPS = 10 ** (1.5 + 0.12 * (LADDER_PSNR - 26))
# one method at four LR qualities: (crf, stream bytes, model bytes, side bytes, PSNR) over 2 s
POINTS = [(18, 60000, 8000, 300, 31.4), (23, 30000, 8000, 300, 30.1), (28, 15000, 8000, 300, 28.7),
          (33, 8000, 8000, 300, 27.2)]  # fmt: skip


def write_curve(root: Path, method: str = "stdo-k2", points=POINTS, coding: dict | None = None):
    """Manifests, metrics and the ladder of ``method`` on video ``v`` at ``points`` (crf 23 is ``v``
    itself, the others ``v_crf<crf>``); returns (manifests, metrics paths, ladder path, curves)."""
    manifests, metrics, curves = [], [], {}
    for crf, stream, models, side, psnr in points:
        video = "v" if crf == 23 else f"v_crf{crf}"
        if video != "v":
            curves[video] = "v"
        m = {"video": video, "scale": 4, "backbone": "wdsr", "method": method, "frames": 60,
             "duration_s": 2.0, "stream": {"codec": {"codec": "libx264", "crf": crf}},
             "sizes": {"stream": stream, "models": models, "side": side,
                       "total": stream + models + side}} | (coding or {})  # fmt: skip
        manifests.append(m)
        path = root / f"{video}_{method}.json"
        path.write_text(json.dumps({"video": video, "scale": 4, "backbone": "wdsr", "method": method,
                                    "psnr": psnr, "evaluated_on": video}))  # fmt: skip
        metrics.append(path)
    pd.DataFrame({"video": "v", "codec": "libx264", "crf": [43, 38, 33, 28, 23], "kbps": LADDER_KBPS,
                  "psnr_db": LADDER_PSNR}).to_csv(root / "ladder.csv", index=False)  # fmt: skip
    return manifests, metrics, root / "ladder.csv", curves

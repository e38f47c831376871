"""Test helpers shared across families.

- :func:`make_vsd4k_clip`: a clip in VSD4K's layout from real frames.
- :class:`LoopbackFiles`: a loopback HTTP server that speaks enough HTTP/1.1 for real
  downloads: Content-Length, ``Range`` requests (206), 404, Google Drive's rate-limit page,
  and connections cut mid-file."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

GOOGLE_QUOTA_PAGE = (
    "<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head><body>"
    "<p>Sorry, you can't view or download this file at this time.</p><p>Too many users have viewed "
    "or downloaded this file recently. Please try accessing the file again later.</p></body></html>"
)


class LoopbackFiles:
    """Serves files from ``root``. ``cut_after[name] = n`` makes the next ``times`` full-file
    responses stop after n bytes; ``rate_limited`` names files answered with Google's page."""

    def __init__(self, root: Path):
        self.root = root
        self.cut_after: dict[str, int] = {}
        self.cuts_left = 0
        self.rate_limited: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.lstrip("/")
                rng = self.headers.get("Range")
                owner.requests.append((name, rng))
                if name in owner.rate_limited:
                    body = GOOGLE_QUOTA_PAGE.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                path = owner.root / name
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = int(rng.split("=")[1].split("-")[0]) if rng else 0
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206 if rng else 200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(data) - start))
                if rng:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                body = data[start:]
                if name in owner.cut_after and owner.cuts_left > 0:
                    owner.cuts_left -= 1
                    self.wfile.write(body[: owner.cut_after[name]])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)  # the connection drops mid-file
                    return
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackFiles:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_vsd4k_clip(root: Path, clip: str, frames: np.ndarray, scales=(2, 4)) -> Path:
    """A clip in VSD4K's layout from real frames: HR PNGs and LR PNGs made with PIL's bicubic
    resize (not stdo's degradation, so tests can tell the dataset's LR frames from ours)."""
    from PIL import Image

    d = root / clip.split("_")[0] / clip
    (d / "DIV2K_train_HR").mkdir(parents=True)
    for i, frame in enumerate(frames, 1):
        img = Image.fromarray(frame)
        img.save(d / "DIV2K_train_HR" / f"{i:05d}.png")
        for s in scales:
            lr_dir = d / "DIV2K_train_LR_bicubic" / f"X{s}"
            lr_dir.mkdir(parents=True, exist_ok=True)
            img.resize((frame.shape[1] // s, frame.shape[0] // s), Image.BICUBIC).save(
                lr_dir / f"{i:05d}_x{s}.png"
            )
    return d


def ingest_meta(video: Path, out: Path) -> dict:
    """``stdo ingest`` of ``video`` into ``out`` (hr.npy, meta.json); its meta.json."""
    import json

    from stdo.video.ingest import main as ingest_main

    ingest_main(
        ["--video", str(video), "--out-frames", str(out / "hr.npy"), "--out-meta", str(out / "meta.json")]
    )
    return json.loads((out / "meta.json").read_text())

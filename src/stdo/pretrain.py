"""The generic SR model f0 that scores patches, trained on photographs not in the video.

Training pairs are made the way the video's are: each photograph is cropped to a multiple
of ``patch * scale``, degraded with :func:`stdo.degrade.downscale`, and cut into LR/HR tiles;
the four flips/transposes of every photograph are added. The default images are
``skimage.data`` photographs that the demo video does not use; the paper config trains on
DIV2K's training images (``--image-dir``), as generic SR models usually are.

Like every training run, pretraining checkpoints beside its output model and resumes from
there after a kill (see :mod:`stdo.train`); the checkpoint is removed once the outputs are in
place.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from stdo import io, runtime
from stdo.degrade import downscale
from stdo.errors import StdoError
from stdo.models import build_model
from stdo.patches import split
from stdo.photos import load_photo
from stdo.train import CHECKPOINT_NAME, TrainSettings, train_model, write_outputs


def make_pairs(images: list[np.ndarray], scale: int, patch: int) -> tuple[np.ndarray, np.ndarray]:
    """LR ``[N, patch, patch, 3]`` and HR ``[N, patch*s, patch*s, 3]`` tiles of the images."""
    lr_tiles, hr_tiles = [], []
    hp = patch * scale
    for img in images:
        for view in (img, img[:, ::-1], img[::-1], img.transpose(1, 0, 2)):
            h, w = (view.shape[0] // hp) * hp, (view.shape[1] // hp) * hp
            if h == 0 or w == 0:
                continue
            hr = np.ascontiguousarray(view[:h, :w])
            lr = downscale(hr, scale)
            hr_tiles.append(split(hr[None], w // hp, h // hp))
            lr_tiles.append(split(lr[None], w // hp, h // hp))
    if not hr_tiles:
        raise StdoError(f"no image is at least {hp}x{hp} pixels; lower pretrain.patch")
    return np.concatenate(lr_tiles), np.concatenate(hr_tiles)


def image_files(directory: Path, limit: int = 0) -> list[Path]:
    """The PNG files of ``directory`` in name order (the first ``limit`` when > 0)."""
    if not directory.is_dir():
        raise StdoError(f"{directory}: image directory not found")
    files = sorted(directory.glob("*.png"))
    if not files:
        raise StdoError(f"{directory}: holds no PNG images")
    return files[:limit] if limit > 0 else files


def main(argv: list[str] | None = None) -> None:
    from stdo.train import add_common_args

    p = argparse.ArgumentParser(prog="stdo pretrain", description=__doc__)
    p.add_argument("--images", default="", help="comma-separated skimage.data image names")
    p.add_argument("--image-dir", type=Path, default=None, help="a directory of PNGs (e.g. DIV2K_train_HR)")
    p.add_argument("--max-images", type=int, default=0, help="use the first N images of --image-dir (0: all)")
    p.add_argument("--patch", type=int, required=True, help="LR tile size")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--exclude", default="", help="comma-separated names that must not be used")
    p.add_argument("--out-model", required=True, type=Path)
    p.add_argument("--out-log", required=True, type=Path)
    add_common_args(p)
    a = p.parse_args(argv)
    with io.stage_errors("pretrain"):
        runtime.set_threads(a.threads)
        settings = TrainSettings.from_config(a.settings, steps=a.steps)  # before the slow image reading
        names = [n for n in a.images.split(",") if n]
        clash = sorted(set(names) & {n for n in a.exclude.split(",") if n})
        if clash:
            raise StdoError(
                f"pretrain.images {clash} also appear in the demo video; f0 must not have seen the video"
            )
        photos = [load_photo(n) for n in names]
        if a.image_dir is not None:
            files = image_files(a.image_dir, a.max_images)
            photos += [io.read_image(f) for f in files]
            names += [f"{a.image_dir.name}/{f.name}" for f in files]
        if not photos:
            raise StdoError("f0 has no training images: give pretrain.images or pretrain.source: div2k")
        lr, hr = make_pairs(photos, a.scale, a.patch)
        model = build_model(a.backbone, scale=a.scale, seed=settings.seed, **a.backbone_kwargs)
        dev = runtime.resolve_device(a.device)
        print(f"f0 {a.backbone} x{a.scale}: {len(lr)} tiles from {len(names)} images", flush=True)
        fingerprint = io.sha256_json(
            {
                "backbone": a.backbone,
                "kwargs": a.backbone_kwargs,
                "scale": a.scale,
                "images": names,
                "patch": a.patch,
                "settings": settings.fingerprint_fields(),
            }
        )
        ckpt = a.out_model.parent / CHECKPOINT_NAME
        log = train_model(
            model,
            lr,
            hr,
            np.arange(len(lr)),
            settings,
            device=dev,
            checkpoint=ckpt,
            fingerprint=fingerprint,
            progress=not a.no_progress,
        )
        params = {
            "backbone": a.backbone,
            "kwargs": a.backbone_kwargs,
            "scale": a.scale,
            "images": names,
            "patch": a.patch,
            "settings": asdict(settings),
        }
        write_outputs(
            model,
            log,
            out_model=a.out_model,
            out_log=a.out_log,
            backbone=a.backbone,
            scale=a.scale,
            kwargs=a.backbone_kwargs,
            extra={"role": "f0", "images": names},
            stage="pretrain",
            params=params,
            seed=settings.seed,
            checkpoint=ckpt,
        )
        print(json.dumps({"final_loss": log[-1]["loss"], "tiles": len(lr)}))


if __name__ == "__main__":
    main()

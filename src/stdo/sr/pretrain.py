"""The generic SR model f0 that scores patches, trained on photographs not in the video.

Training pairs are made the way the video's are: each photograph is cropped to a multiple
of ``patch * scale``, degraded with :func:`stdo.video.degrade.downscale`, and cut into LR/HR tiles;
the four flips/transposes of every photograph are added. The default images are
``skimage.data`` photographs that the demo video does not use; the paper config trains on
DIV2K's training images (``--image-dir``), as generic SR models usually are.

Like every training run, pretraining saves its resume state beside its output model and resumes from
there after a kill (see :mod:`stdo.sr.train`); the resume state is removed once the outputs are in
place.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from stdo.core import io, runtime
from stdo.core.errors import StdoError
from stdo.core.imaging import downscale
from stdo.models import build_model
from stdo.sr.train import RESUME_NAME, TrainSettings, train_model, write_outputs
from stdo.video.patches import split
from stdo.video.photos import load_photo


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
    from stdo.sr.train import add_common_args

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
    args = p.parse_args(argv)
    with io.stage_errors("pretrain"):
        runtime.set_threads(args.threads)
        settings = TrainSettings.from_config(args.settings, steps=args.steps)  # before the slow image reading
        names = [n for n in args.images.split(",") if n]
        clash = sorted(set(names) & {n for n in args.exclude.split(",") if n})
        if clash:
            raise StdoError(
                f"pretrain.images {clash} also appear in the demo video; f0 must not have seen the video"
            )
        photos = [load_photo(n) for n in names]
        if args.image_dir is not None:
            files = image_files(args.image_dir, args.max_images)
            photos += [io.read_image(f) for f in files]
            names += [f"{args.image_dir.name}/{f.name}" for f in files]
        if not photos:
            raise StdoError("f0 has no training images: give pretrain.images or pretrain.source: div2k")
        lr, hr = make_pairs(photos, args.scale, args.patch)
        model = build_model(args.backbone, scale=args.scale, seed=settings.seed, **args.backbone_kwargs)
        dev = runtime.resolve_device(args.device)
        print(f"f0 {args.backbone} x{args.scale}: {len(lr)} tiles from {len(names)} images", flush=True)
        fingerprint = io.sha256_json(
            {
                "backbone": args.backbone,
                "kwargs": args.backbone_kwargs,
                "scale": args.scale,
                "images": names,
                "patch": args.patch,
                "settings": settings.fingerprint_fields(),
            }
        )
        ckpt = args.out_model.parent / RESUME_NAME
        log = train_model(
            model,
            lr,
            hr,
            np.arange(len(lr)),
            settings,
            device=dev,
            resume_state=ckpt,
            fingerprint=fingerprint,
            progress=not args.no_progress,
        )
        params = {
            "backbone": args.backbone,
            "kwargs": args.backbone_kwargs,
            "scale": args.scale,
            "images": names,
            "patch": args.patch,
            "settings": asdict(settings),
        }
        write_outputs(
            model,
            log,
            out_model=args.out_model,
            out_log=args.out_log,
            backbone=args.backbone,
            scale=args.scale,
            kwargs=args.backbone_kwargs,
            extra={"role": "f0", "images": names},
            stage="pretrain",
            params=params,
            seed=settings.seed,
            resume_state=ckpt,
        )
        print(json.dumps({"final_loss": log[-1]["loss"], "tiles": len(lr)}))


if __name__ == "__main__":
    main()

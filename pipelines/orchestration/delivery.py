"""`edumon run --landing DIR`: put delivered files into the home's landing/ as a delivery would."""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

from pipelines.home import Home


def deliver(landing_from: Path, home: Home) -> int:
    """Put files from another landing folder into the home's landing/ (as a delivery would).

    A hard link where both folders share a file system (a national week is 11 GB: copying it
    took minutes of a run that is about the files' contents), else a copy. The ingest moves a
    rejected file out of landing/, which unlinks only the home's name. Hidden files come along
    (the scan reports them); a symbolic link comes as the same link, never its target's bytes
    (the scan refuses it unread when it leads out of landing/).
    """
    home.landing.mkdir(parents=True, exist_ok=True)
    delivered = 0
    for path in sorted(landing_from.iterdir()):
        if path.is_symlink():  # delivered as the link: the scan of landing/ judges where it leads
            (home.landing / path.name).unlink(missing_ok=True)
            (home.landing / path.name).symlink_to(os.readlink(path))
            delivered += 1
            continue
        if not path.is_file():
            continue
        target = home.landing / path.name
        if target.exists() and (target.samefile(path) or filecmp.cmp(target, path, shallow=False)):
            continue
        target.unlink(missing_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        delivered += 1
    return delivered

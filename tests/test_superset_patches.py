"""The literal patches of Superset's installed front end (dashboards/superset-patches.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.dashboards import environment


def _patches(tmp_path: Path, find: str, replace: str) -> Path:
    path = tmp_path / "patches.yaml"
    path.write_text(yaml.safe_dump({"patches": [{"files": "pkg/*.js", "find": find, "replace": replace}]}))
    return path


def test_a_patch_applies_once_from_the_pristine_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snippet is replaced in the one file holding it, the original is kept as <file>.orig, and
    applying again (or a changed patch) starts from the original, not from the patched file.

    Matters because an install re-run must not patch twice, and a changed patch must not stack on
    the old one. On failure: see environment.apply_patches.
    """
    packages = tmp_path / "site-packages"
    (packages / "pkg").mkdir(parents=True)
    chunk = packages / "pkg" / "a.chunk.js"
    chunk.write_bytes(b'x?[!1,"N/A"]:y;\r\n')
    (packages / "pkg" / "b.chunk.js").write_bytes(b"other")
    monkeypatch.setattr(environment, "PATCHES_FILE", _patches(tmp_path, '[!1,"N/A"]', '[!1,"—"]'))
    assert environment.apply_patches(packages) == [chunk]
    assert chunk.read_bytes() == 'x?[!1,"—"]:y;\r\n'.encode()
    assert (packages / "pkg" / "a.chunk.js.orig").read_bytes() == b'x?[!1,"N/A"]:y;\r\n'
    environment.apply_patches(packages)
    assert chunk.read_bytes() == 'x?[!1,"—"]:y;\r\n'.encode()
    monkeypatch.setattr(environment, "PATCHES_FILE", _patches(tmp_path, '[!1,"N/A"]', '[!1,"нет"]'))
    environment.apply_patches(packages)
    assert chunk.read_bytes() == 'x?[!1,"нет"]:y;\r\n'.encode()


@pytest.mark.parametrize("content", [b"nothing to patch", b'[!1,"N/A"] and [!1,"N/A"]'])
def test_a_patch_that_does_not_match_exactly_once_fails_the_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    """Another Superset version (the snippet gone, or there twice) stops the install with a message
    naming the patch file, instead of leaving the English text on screen.
    """
    packages = tmp_path / "site-packages"
    (packages / "pkg").mkdir(parents=True)
    (packages / "pkg" / "a.chunk.js").write_bytes(content)
    monkeypatch.setattr(environment, "PATCHES_FILE", _patches(tmp_path, '[!1,"N/A"]', '[!1,"—"]'))
    with pytest.raises(environment.SupersetError, match=r"patches\.yaml"):
        environment.apply_patches(packages)


def test_the_patches_are_part_of_the_environment_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed patch file changes the marker hash, so the next `up` re-applies the patches."""
    before = environment.requirements_hash()
    monkeypatch.setattr(environment, "PATCHES_FILE", _patches(tmp_path, "a", "b"))
    assert environment.requirements_hash() != before

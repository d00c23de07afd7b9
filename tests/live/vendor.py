"""Where the vendor's public S1 repository (shengshu-ai/vidu-s1-api) is, when it is here at all.

Nothing of it is kept in this repository: tests read it from a fetched copy at test time. The copy
is ``$VIDU_S1_API_REPO`` (a checkout, or a bare git directory such as the one ``git clone --mirror``
makes), else the mirror a viduemu workspace keeps under /work/.mirror. Studied at commit baac194.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

ENV = "VIDU_S1_API_REPO"
KNOWN = (Path("/work/.mirror/shengshu-ai+vidu-s1-api/repo"),)
STUDIED = "baac194"


def locate() -> Path | None:
    """The first copy that holds the Dify client, as a checkout or a git directory."""
    given = os.environ.get(ENV)
    for candidate in ([Path(given)] if given else []) + list(KNOWN):
        if (candidate / "plugins/dify/provider/vidu_client.py").is_file() or _git_has(candidate):
            return candidate
    return None


def export(repo: Path, folder: str, into: Path) -> Path:
    """``folder`` of the copy at ``into/folder`` (git HEAD for a git directory); the path."""
    if (repo / folder).is_dir():
        return repo / folder
    archive = subprocess.run(["git", f"--git-dir={repo}", "archive", "--format=tar", "HEAD", folder],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / folder


def _git_has(candidate: Path) -> bool:
    if not candidate.is_dir():
        return False
    done = subprocess.run(["git", f"--git-dir={candidate}", "cat-file", "-e",
                           "HEAD:plugins/dify/provider/vidu_client.py"], check=False, capture_output=True)
    return done.returncode == 0

"""Where the vendor's public repositories are, when they are here at all.

Nothing of them is kept in this repository: tests read them from a fetched copy at test time. A copy is
``$<env>`` (a checkout, or a bare git directory such as the one ``git clone --mirror`` makes), else the
mirror a viduemu workspace keeps under /work/.mirror.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VendorRepo:
    name: str        # owner/name on GitHub
    env: str         # the variable naming a copy
    marker: str      # a file every usable copy holds
    studied: str     # the commit the tests were written against

    def locate(self) -> Path | None:
        """The first copy that holds ``marker``, as a checkout or a git directory."""
        given = os.environ.get(self.env)
        known = Path("/work/.mirror") / self.name.replace("/", "+") / "repo"
        for candidate in ([Path(given)] if given else []) + [known]:
            if (candidate / self.marker).is_file() or _git_has(candidate, self.marker):
                return candidate
        return None

    def skip_reason(self) -> str:
        return f"the vendor repository {self.name} is not here: set {self.env} to a checkout or git directory of it"


S1_API = VendorRepo("shengshu-ai/vidu-s1-api", "VIDU_S1_API_REPO", "plugins/dify/provider/vidu_client.py", "baac194")
MCP = VendorRepo("shengshu-ai/vidu-mcp", "VIDU_MCP_REPO", "vidu_mcp/server.py", "3dac293")


def export(repo: Path, folder: str, into: Path) -> Path:
    """``folder`` of the copy at ``into/folder`` (git HEAD for a git directory); the path."""
    if (repo / folder).is_dir():
        return repo / folder
    archive = subprocess.run(["git", f"--git-dir={repo}", "archive", "--format=tar", "HEAD", folder],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / folder


def _git_has(candidate: Path, marker: str) -> bool:
    if not candidate.is_dir():
        return False
    done = subprocess.run(["git", f"--git-dir={candidate}", "cat-file", "-e", f"HEAD:{marker}"], check=False,
                          capture_output=True)
    return done.returncode == 0

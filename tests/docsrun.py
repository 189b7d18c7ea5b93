"""Running the shell commands of the docs as written, in a fresh copy of the repository.

A documented command is a line of a fenced block whose language is `sh`, `bash`, `shell`
(every non-comment line, `\\` continuations joined) or `console` (lines after `$ `). The
block's info string may carry tags after the language: `postgres` (runs only against the
test PostgreSQL database, with JIUZHU_DATABASE_URL pointing at it) and `docker` (needs a
container engine: the Dockerfile is checked by tests/core/test_dockerfile.py instead) and
`example` (needs the reader's own files or machines — a roster, a cluster — and is covered
by the tests of that feature instead). A block tagged `server` talks to a running server: it
runs while `jiuzhu serve` is up, with `$JZ` its address and `$TOKEN` a token of the demo's
Changji administrator, as the page's own setup line tells the reader to set them.

The sandbox is what a reader has after `git clone` and activating a virtual environment:
the repository's files (tracked and untracked, ignored ones left out) copied to a new
folder, and a new virtual environment whose installs go to itself. To work without a
network, that environment sees the test environment's packages (a .pth file) and pip runs
with no index and no build isolation; the commands themselves are not changed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import site
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHELLS = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(?P<ticks>```+)(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    doc: str  # path relative to the repository
    line: int  # line of the opening fence
    lang: str
    tags: frozenset[str]
    commands: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def doc_files() -> list[Path]:
    docs = sorted(p for p in (ROOT / "docs").rglob("*.md") if "reference" not in p.parts)
    return [ROOT / "README.md", *docs]


def blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m["info"].strip():
            i += 1
            continue
        info = m["info"].split()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not lines[i].startswith(m["ticks"]):
            body.append(lines[i])
            i += 1
        i += 1
        lang = info[0]
        if lang in SHELLS:
            yield Block(
                str(path.relative_to(ROOT)),
                start,
                lang,
                frozenset(info[1:]),
                tuple(commands(lang, body)),
            )


def commands(lang: str, body: list[str]) -> Iterator[str]:
    if lang == "console":
        for line in body:
            if line.startswith("$ "):
                yield line[2:].strip()
        return
    current = ""
    for line in body:
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        yield (current + line).strip()
        current = ""


def all_blocks() -> list[Block]:
    return [b for path in doc_files() for b in blocks(path)]


def free_port() -> int:
    wanted = os.environ.get("JIUZHU_TEST_PORT")
    if wanted:
        return int(wanted)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sandbox:
    """A fresh copy of the repository and a fresh virtual environment (see the module)."""

    def __init__(self, base: Path, only: list[str] | None = None) -> None:
        self.root = base / "clone"
        self.venv = base / "venv"
        copy_tree(ROOT, self.root, only)
        make_venv(self.venv)
        self.port = free_port()
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("JIUZHU_", "PIP_"))}
        keep.pop("VIRTUAL_ENV", None)
        self.env = {
            **keep,
            "VIRTUAL_ENV": str(self.venv),
            "PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0",  # i.e. build without isolation (pip's spelling)
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "JIUZHU_PORT": str(self.port),
            # what the reader types when `users add` / `users passwd` ask for a password
            "JIUZHU_NEW_PASSWORD": "correct-horse-battery-staple-9",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def run(
        self, command: str, env: Mapping[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def serve(
        self,
        command: str,
        env: Mapping[str, str] | None = None,
        while_up: Callable[[], None] | None = None,
    ) -> str:
        """Run a command that ends in a server; return the body of /login once it answers
        (after calling `while_up`), then stop the server and everything the command started."""
        proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=self.root,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{self.port}/login"
        deadline = time.monotonic() + 240
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    out = proc.stdout.read() if proc.stdout else ""
                    raise AssertionError(
                        f"`{command}` ended ({proc.returncode}) before serving:\n{out}"
                    )
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        body = str(response.read().decode("utf-8"))
                except OSError:
                    time.sleep(0.3)
                    continue
                if while_up is not None:
                    while_up()
                return body
            raise AssertionError(f"`{command}`: nothing answered at {url}")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            if proc.stdout:
                proc.stdout.close()


def copy_tree(src: Path, dst: Path, only: list[str] | None = None) -> None:
    """The files a fresh clone would have, plus untracked ones not ignored (the work in
    progress), without .git or anything .gitignore names; with `only`, just those files
    and folders (as a Dockerfile's COPY lines)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=src,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    for rel in filter(None, listed.split("\0")):
        source = src / rel
        if only is not None and not any(rel == o or rel.startswith(o + "/") for o in only):
            continue
        if not source.is_file():
            continue  # deleted in the work tree, not yet committed
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def make_venv(venv: Path) -> None:
    """A virtual environment that installs into itself but imports the test environment's
    packages (so nothing is downloaded); its `pip` runs pip from there."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    inner = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(inner) / "_test_environment.pth").write_text(site.getsitepackages()[0] + "\n")
    pip = venv / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\nexec "{venv / "bin" / "python"}" -m pip "$@"\n')
    pip.chmod(0o755)

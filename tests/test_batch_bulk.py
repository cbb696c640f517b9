"""Batches: runs of `route|neighbour add` lines go pipelined through the bulk path, and a
failing line leaves exactly the lines before it applied (the adds after it that the kernel
already took are undone), as `ip -batch` does. Line numbers count continuation lines."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import iporacle, nlrun, testns
from support.iporacle import route_dsts

from nlshell.commands.runner import logical_lines

pytestmark = testns.requires_root

class Sends:
    """Counts the datagrams a socket sends (the kernel still gets every one)."""

    def __init__(self, sock: Any) -> None:
        self.count = 0
        self._send = sock.send

        def send(data: Any, *args: Any) -> Any:
            self.count += 1
            return self._send(data, *args)

        sock.send = send


def run_file(ns: str, path: Path, force: bool = False, count: bool = False
             ) -> tuple[int, str, str, int]:
    """Run a batch file in-process: (exit status, stdout, stderr, datagrams sent)."""
    with nlrun.captured(ns, force=force) as cap:
        sends = Sends(cap.ctx.ipr.sock) if count else None
        with open(path, encoding="utf-8") as fh:
            status = cap.runner.run_lines(logical_lines(fh, str(path)))
    return (*cap.result(status), sends.count if sends else 0)


def write(tmp_path: Path, text: str, name: str = "batch.nl") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def cli(ns: str, *args: str, input: str = "") -> subprocess.CompletedProcess:
    return nlrun.run_nlshell("-n", ns, *args, input=input)


# -- the bulk path -------------------------------------------------------------------------------


def test_2000_route_adds_are_pipelined(vns: str, tmp_path: Path) -> None:
    lines = [f"route add 10.{i >> 8}.{i & 255}.0/24 dev v0 metric {i % 7}"
             for i in range(2000)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    status, _out, err, sent = run_file(vns, path, count=True)
    assert (status, err) == (0, "")
    # one request per datagram would be 2000 sends (plus the device lookup); pipelined,
    # 2000 requests fit a handful of datagrams
    assert sent <= 20, sent
    got = {r["dst"]: r for r in iporacle.ipj(vns, "route", "show", "dev", "v0")}
    for i in range(2000):
        r = got[f"10.{i >> 8}.{i & 255}.0/24"]
        assert r.get("metric", 0) == i % 7 and r["scope"] == "link"


def test_one_by_one_sends_one_datagram_per_line(vns: str) -> None:
    # the reference for the test above: the same lines through run_line
    with nlrun.captured(vns) as cap:
        sends = Sends(cap.ctx.ipr.sock)
        for i in range(50):
            assert cap.runner.run_line(f"route add 10.9.{i}.0/24 dev v0") == 0
    assert sends.count >= 50
    assert len(route_dsts(vns) & {f"10.9.{i}.0/24" for i in range(50)}) == 50


def test_neighbour_adds_in_bulk(vns: str, tmp_path: Path) -> None:
    lines = [f"neighbour add 192.0.2.{i} lladdr 02:00:00:00:00:{i:02x} dev v0"
             for i in range(10, 60)]
    status, _o, err, sent = run_file(vns, write(tmp_path, "\n".join(lines)), count=True)
    assert (status, err) == (0, "")
    assert sent <= 5
    got = {n["dst"]: n for n in iporacle.ipj(vns, "neigh", "show", "dev", "v0")}
    for i in range(10, 60):
        assert got[f"192.0.2.{i}"]["state"] == ["PERMANENT"]
        assert got[f"192.0.2.{i}"]["lladdr"] == f"02:00:00:00:00:{i:02x}"


def test_family_option_of_a_line_is_kept_in_bulk(vns: str, tmp_path: Path) -> None:
    path = write(tmp_path, "-6 route add default dev v0\nroute add 10.1.0.0/16 dev v0\n")
    status, _o, err, _s = run_file(vns, path)
    assert (status, err) == (0, "")
    assert "default" in route_dsts(vns, "-6")
    assert "default" not in route_dsts(vns)
    assert "10.1.0.0/16" in route_dsts(vns)


# -- errors on line 3 ----------------------------------------------------------------------------

FIVE = ["route add 10.10.1.0/24 dev v0", "route add 10.10.2.0/24 dev v0", None,
        "route add 10.10.4.0/24 dev v0", "route add 10.10.5.0/24 dev v0"]
THIRD = {
    "kernel": ("route add 10.10.1.0/24 dev v0", 2, "RTNETLINK answers: File exists"),
    "parse": ("route add 10.10.300.0/24 dev v0", 1, "300"),
    "lookup": ("route add 10.10.3.0/24 dev nosuch0", 1, 'Cannot find device "nosuch0"'),
}


def five(third: str) -> str:
    return "\n".join(THIRD[third][0] if line is None else line for line in FIVE) + "\n"


@pytest.mark.parametrize("kind", sorted(THIRD))
def test_error_on_line_3_applies_lines_1_2_only(vns: str, tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, five(kind))
    status, _o, err, _s = run_file(vns, path)
    _line, code, text = THIRD[kind]
    assert status == code
    assert err.startswith(f"{path}:3: ") and text in err, err
    assert err.count("\n") == 1, err  # one error, nothing about the lines after it
    got = route_dsts(vns)
    assert {"10.10.1.0/24", "10.10.2.0/24"} <= got
    assert not got & {"10.10.3.0/24", "10.10.4.0/24", "10.10.5.0/24"}, got


@pytest.mark.parametrize("kind", sorted(THIRD))
def test_error_on_line_3_with_force_applies_the_rest(vns: str, tmp_path: Path,
                                                     kind: str) -> None:
    path = write(tmp_path, five(kind))
    status, _o, err, _s = run_file(vns, path, force=True)
    _line, code, text = THIRD[kind]
    assert status == code
    assert err.startswith(f"{path}:3: ") and text in err and err.count("\n") == 1, err
    assert {"10.10.1.0/24", "10.10.2.0/24", "10.10.4.0/24", "10.10.5.0/24"} <= route_dsts(vns)


def test_undo_leaves_routes_of_earlier_chunks_and_commands(vns: str, tmp_path: Path) -> None:
    # a plain command between two bulk runs splits them; the failure in the second run
    # undoes only the second run's later lines
    text = ("route add 10.20.1.0/24 dev v0\n"
            "route replace 10.20.2.0/24 dev v0\n"
            "route add 10.20.3.0/24 dev v0\n"
            "route add 10.20.1.0/24 dev v0\n"
            "route add 10.20.5.0/24 dev v0\n")
    path = write(tmp_path, text)
    status, _o, err, _s = run_file(vns, path)
    assert status == 2 and err.startswith(f"{path}:4: "), err
    got = route_dsts(vns)
    assert {"10.20.1.0/24", "10.20.2.0/24", "10.20.3.0/24"} <= got
    assert "10.20.5.0/24" not in got


def test_continuation_lines_count(vns: str, tmp_path: Path) -> None:
    text = ("# two routes, the first written over three lines\n"
            "route add 10.30.1.0/24 \\\n"
            "    dev v0 \\\n"
            "    metric 5\n"
            "route add 10.30.2.0/24 dev v0\n"
            "route add 10.30.1.0/24 dev v0 metric 5\n"
            "route add 10.30.7.0/24 dev v0\n")
    path = write(tmp_path, text)
    status, _o, err, _s = run_file(vns, path)
    assert status == 2 and err.startswith(f"{path}:6: "), err
    got = route_dsts(vns)
    assert {"10.30.1.0/24", "10.30.2.0/24"} <= got and "10.30.7.0/24" not in got


def test_error_inside_a_continued_command_names_its_first_line(vns: str,
                                                               tmp_path: Path) -> None:
    text = ("route add 10.31.1.0/24 dev v0\n"
            "\n"
            "route add 10.31.2.0/24 \\\n"
            "    dev nosuch0\n"
            "route add 10.31.5.0/24 dev v0\n")
    path = write(tmp_path, text)
    status, _o, err, _s = run_file(vns, path)
    assert status == 1 and err.startswith(f"{path}:3: "), err
    got = route_dsts(vns)
    assert "10.31.1.0/24" in got and "10.31.5.0/24" not in got


def test_cli_batch_file_exit_codes(vns: str, tmp_path: Path) -> None:
    path = write(tmp_path, five("kernel"))
    proc = cli(vns, "-b", str(path))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{path}:3: RTNETLINK answers: File exists"), proc.stderr
    assert not route_dsts(vns) & {"10.10.4.0/24", "10.10.5.0/24"}
    proc = cli(vns, "-force", "-b", str(path))
    assert proc.returncode == 2 and proc.stderr.startswith(f"{path}:1: "), proc.stderr
    assert {"10.10.4.0/24", "10.10.5.0/24"} <= route_dsts(vns)


def test_cli_batch_from_stdin(vns: str) -> None:
    proc = cli(vns, "-b", "-", input="route add 10.40.1.0/24 dev v0\nroute add bogus\n")
    assert proc.returncode == 1 and proc.stderr.startswith("-:2: "), proc.stderr
    assert "10.40.1.0/24" in route_dsts(vns)


def test_kernel_error_then_lookup_error_reports_the_first_only(vns: str,
                                                               tmp_path: Path) -> None:
    text = ("route add 10.50.1.0/24 dev v0\n"
            "route add 10.50.1.0/24 dev v0\n"
            "route add 10.50.3.0/24 dev nosuch0\n"
            "route add 10.50.4.0/24 dev v0\n")
    path = write(tmp_path, text)
    status, _o, err, _s = run_file(vns, path)
    assert status == 2 and err == f"{path}:2: RTNETLINK answers: File exists\n", err
    assert "10.50.4.0/24" not in route_dsts(vns)


def test_device_names_are_looked_up_again_after_a_command(vns: str, tmp_path: Path) -> None:
    # the bulk path remembers name -> index; a rename in between must not leave the old
    # name pointing at the renamed device
    text = ("route add 10.60.1.0/24 dev v1\n"
            "link set dev v1 name v7\n"
            "route add 10.60.2.0/24 dev v1\n")
    path = write(tmp_path, text)
    status, _o, err, _s = run_file(vns, path)
    assert status == 1 and err == f'{path}:3: Cannot find device "v1"\n', err
    assert "10.60.2.0/24" not in route_dsts(vns)

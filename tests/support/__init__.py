"""What the tests share, one job per module (conftest.py keeps the fixtures and host guard).

- `iporacle`: `ip` as the oracle (`sh`, `ipj`, `batch`, `VETH_V0`, `route_dsts`).
- `testns`: test namespaces and privileges (`temp_netns`, `requires_root`, `no_dad`, ...).
- `hostguard`: the host snapshot the session guard compares.
- `nlrun`: nlshell run in-process (`nl`, `ok`, `nlj`, `nl_batch`) or as a child process.
- `resources`: `add_veth(ipr)`, `fd_count`, `run_threads`.
- `wait`: `until`, polling a condition with a generous deadline.
- `tmux`: one app in a real terminal (`Tmux`, the shell's `Terminal`).
- `pipeshell`: the shell in-process on prompt_toolkit pipe input (`Session`).
- `fakes`: a fake Cache and message builders for the shell's pure tests.
- `samples`: codec samples, raw netlink sockets and the kernel capture of a rich namespace.
"""

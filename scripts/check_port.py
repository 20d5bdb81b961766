"""Fail `make run` at once, with the fix, when its port is taken: `python scripts/check_port.py 8000`.

Exit status 0 when 127.0.0.1:PORT is free; 1, with "port 8000 is in use: make run PORT=8001"
(the next free port) on stderr, when something already listens there. Standard library only.
"""

import socket
import sys

HOST = "127.0.0.1"


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers set it: a port left in TIME_WAIT is free, only a listener takes it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit() or not 0 < int(argv[0]) < 65536:
        print(f"usage: check_port.py PORT (1-65535), not {' '.join(argv)!r}", file=sys.stderr)
        return 2
    port = int(argv[0])
    if port_is_free(port):
        return 0
    free = next((other for other in range(port + 1, min(port + 100, 65536)) if port_is_free(other)), None)
    hint = f": make run PORT={free}" if free else ": choose another with make run PORT=…"
    print(f"port {port} is in use{hint}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

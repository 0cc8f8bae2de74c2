"""Socket activation without systemd, the way systemd does it (sd_listen_fds(3)).

usage: systemd_socket_launcher.py PROGRAM [ARGS...]

Binds a listening TCP socket on 127.0.0.1 (a free port), prints "port N", puts the socket on
descriptor 3, sets LISTEN_FDS=1 and LISTEN_PID to this process's id (exec keeps it) and
executes PROGRAM in its place.
"""
import os
import socket
import sys

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(128)
port = listener.getsockname()[1]
if listener.fileno() != 3:
    os.dup2(listener.fileno(), 3)
    listener.close()
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDNAMES"] = "chorus.socket"
print(f"port {port}", flush=True)
os.execvp(sys.argv[1], sys.argv[1:])

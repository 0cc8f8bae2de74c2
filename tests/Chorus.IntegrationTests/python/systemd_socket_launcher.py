"""Socket activation without systemd, the way systemd does it (sd_listen_fds(3)).

usage: systemd_socket_launcher.py [--harden] PROGRAM [ARGS...]

Binds a listening TCP socket on 127.0.0.1 (a free port), prints "port N", puts the socket on
descriptor 3, sets LISTEN_FDS=1 and LISTEN_PID to this process's id (exec keeps it) and
executes PROGRAM in its place. --harden first applies what chorus.service's NoNewPrivileges=yes
and MemoryDenyWriteExecute=yes apply (the kernel's PR_SET_NO_NEW_PRIVS and PR_SET_MDWE), which
PROGRAM inherits.
"""
import ctypes
import os
import socket
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1

program = sys.argv[1:]
if program[0] == "--harden":
    program = program[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    for option, value in ((PR_SET_NO_NEW_PRIVS, 1), (PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)):
        if libc.prctl(option, value, 0, 0, 0) != 0:
            sys.exit(f"prctl({option}) failed: {os.strerror(ctypes.get_errno())}")

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
os.execvp(program[0], program)

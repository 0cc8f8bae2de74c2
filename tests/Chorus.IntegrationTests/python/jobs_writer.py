"""Forks K short-lived prometheus_client workers that each count N jobs and exit (dead PID files to fold).

Usage: jobs_writer.py DIR K N
"""
import os
import sys

directory, workers, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.environ['PROMETHEUS_MULTIPROC_DIR'] = directory

children = []
for _ in range(workers):
    pid = os.fork()
    if pid == 0:
        from prometheus_client import Counter
        Counter('jobs', 'Jobs done.').inc(jobs)
        os._exit(0)
    children.append(pid)
for pid in children:
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit('a worker failed: %d' % status)

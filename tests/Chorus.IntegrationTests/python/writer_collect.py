"""Prints prometheus_client's MultiProcessCollector output for DIR in text format 0.0.4 (run with /usr/bin/python3)."""
import sys

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

registry = CollectorRegistry()
MultiProcessCollector(registry, path=sys.argv[1])
sys.stdout.write(generate_latest(registry).decode("utf-8"))

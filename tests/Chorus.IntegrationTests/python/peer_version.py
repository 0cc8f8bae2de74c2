"""Print the installed prometheus_client version and its location (the tests check both)."""
import importlib.metadata

import prometheus_client

print(importlib.metadata.version("prometheus_client"))
print(prometheus_client.__file__)

"""What tests and benchmarks share to start things: the browser (``browser``), the servers (``server``)
and the stores (``store``), with the rule for a missing service (``ci``).

Tests and benchmarks import it as ``tests.support.…``; it never imports the tests' fixtures module,
whose fixtures pytest finds by itself.
"""

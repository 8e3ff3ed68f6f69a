"""The synthetic bank: a deterministic generator of message histories (``generate``)
used by the demo, the tests and the benchmarks."""

"""Benchmarks and soak tools, each printing its figures beside a baseline measured in
the same run; ``kafka_broker`` starts the Tansu broker they (and the tests) use."""

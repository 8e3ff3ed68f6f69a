"""Where the tests find the repository and the scenario files, wherever a test lives."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "scenarios"

"""The benchmarks' generator: the offline one made as slow as a Gemini call.

Selected with `MINI_ANALYSIS_GENERATOR=bench.generators.SlowOfflineGenerator`; the delay is
`BENCH_GENERATION_SECONDS` (default 3). It sleeps, as a network call waits: no CPU is used.
"""

import os
import time

from mini_analysis.generators import AnalysisRequest
from mini_analysis.generators.offline import OfflineGenerator


class SlowOfflineGenerator(OfflineGenerator):
    def generate(self, request: AnalysisRequest) -> str:
        time.sleep(float(os.environ.get("BENCH_GENERATION_SECONDS", "3")))
        return super().generate(request)

import sys

from benchmarks.returns.run import main

sys.exit(main())

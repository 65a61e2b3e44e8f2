import sys

from benchmarks.missing.run import main

sys.exit(main())

import sys

from benchmarks.notices.run import main

sys.exit(main())

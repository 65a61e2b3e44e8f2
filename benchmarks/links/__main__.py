import sys

from benchmarks.links.run import main

sys.exit(main())

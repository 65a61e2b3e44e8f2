import sys

from benchmarks.child_record.run import main

sys.exit(main())

import sys

from ibrepro.cli import main

sys.exit(main())

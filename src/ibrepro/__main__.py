import sys

from ibrepro import SOURCE_KEY
from ibrepro.job_server import hand_over

# in a local build, the build's job server runs the command (ibrepro.job_server); else we do
status = hand_over(sys.argv, SOURCE_KEY)
if status is None:
    from ibrepro.cli import main

    status = main()
sys.exit(status)

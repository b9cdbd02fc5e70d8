import sys

from rrag.cli.main import main

sys.exit(main())

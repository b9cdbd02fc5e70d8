from rrag.cli.entry import run

run()

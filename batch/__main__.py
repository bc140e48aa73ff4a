"""``python -m batch TASK ...`` runs ``ais batch``."""
from batch.cli import main

main()

"""``python -m issuer.cli``: the same as the ``trustid-issuer`` console script."""

from issuer.cli import main

main()

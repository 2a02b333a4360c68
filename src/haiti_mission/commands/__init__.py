"""Sub-commands of the ``haiti-mission`` command line, one module per concern.

Each module has ``register(subparsers)``, which adds its commands; a command's function takes the
parsed arguments and returns the exit status (0 success, 1 problems found, 2 bad usage).
"""

"""One module per command: ``add_parser`` declares its options, ``run`` carries it out."""

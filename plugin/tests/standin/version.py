__version__ = "0.29.0"
__timestamp__ = None

"""Strategie-Assistent: cited answers about Saxony's industrial strategy.

The core package imports no UI code; heavy dependencies (models, FAISS) load lazily.
"""

__version__ = "0.1.0"

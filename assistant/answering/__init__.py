"""Answers from retrieved passages: extractive (offline default) or by an optional LLM."""

"""Conversation state: plain Python, no terminal and no network."""

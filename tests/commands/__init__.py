"""Tests of the console commands and their shared entry point."""

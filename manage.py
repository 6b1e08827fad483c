#!/usr/bin/env python
"""Django's manage.py; the installed `onewindow` command does the same."""

from onewindow.cli import main

if __name__ == "__main__":
    main()

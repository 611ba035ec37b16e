"""A plugin whose import calls ``sys.exit()``: it must not end the program that loads it."""

import sys

sys.exit("this plugin exits when imported")

"""A plugin whose import fails with something other than ImportError."""

raise RuntimeError("this plugin breaks while being imported")

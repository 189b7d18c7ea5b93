"""The built-in pilot regions, each a plugin registered through the `jiuzhu` entry points."""

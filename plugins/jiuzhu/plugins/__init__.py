"""Reusable capabilities that regions compose, each configured by the region's data."""

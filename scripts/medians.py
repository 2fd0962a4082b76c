#!/usr/bin/env python3
"""Prints the median of each command in a hyperfine --export-json file."""
import json, sys

for result in json.load(open(sys.argv[1]))["results"]:
    print(f"median {result['command']}: {result['median'] * 1000:.0f} ms")

#!/usr/bin/python3
"""Prints the ocf:tandem primitives of a crm script, one a line:
ID AGENT then NAME=VALUE words (shell-quoted), for config.bats.
usage: crm_params.py cluster.crm"""
import re
import shlex
import sys


def main():
    text = open(sys.argv[1]).read().replace("\\\n", " ")
    for line in text.splitlines():
        m = re.match(r"^primitive (\S+) ocf:tandem:(\w+)\s+params (.*?)(\s+op\s.*)?$", line)
        if m:
            print(" ".join([m.group(1), m.group(2)] +
                           [shlex.quote(w) for w in shlex.split(m.group(3))]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Lists C# types over 400 lines (the parts of a partial type added up) and members over 60 lines, counted from the
declaration to its closing brace (the code's Allman style), for issue 11's "no type over 400 lines, no method over 60".

usage: python3 scripts/long-members.py [-v] DIR...   (-v: every member, not only the long ones)
"""
import collections
import os
import re
import sys

MAX_MEMBER, MAX_TYPE = 60, 400
KEYWORDS = r'if|for|foreach|while|switch|using|lock|catch|else|return|fixed|try|do'
member = re.compile(r'^(\s+)(?!(?:' + KEYWORDS + r')\b)[^/\s].*\)\s*(where .*)?$')
type_declaration = re.compile(r'^(\s*)(?:\w+\s+)*(?:class|struct|interface|record)\s+(\w+)')


def scan(path, types, members, unclosed):
    lines = open(path, encoding='utf-8').read().split('\n')
    for i, line in enumerate(lines[:-1]):
        declared = type_declaration.match(line)
        last = i
        # A declaration may go on over several lines (parameters, base types, constraints) before its brace.
        while (last + 1 < len(lines) and lines[last + 1].strip() and not lines[last + 1].strip().startswith('{')
               and (lines[last].rstrip().endswith((',', '(')) or lines[last + 1].lstrip().startswith((':', 'where')))):
            last += 1
        found = declared or member.match(lines[last])
        if not found or last + 1 >= len(lines) or lines[last + 1] != found.group(1) + '{':
            continue
        end = next((j for j in range(last + 2, len(lines)) if lines[j] == found.group(1) + '}'), None)
        if end is None:
            if declared:
                # A type whose closing brace is not on a line of its own ("    }}" at the end of a file) would escape the
                # count altogether: report it, so it gets formatted and counted.
                unclosed.append(f'{path}:{i + 1}  {declared.group(2)}')
            # Otherwise an initializer or expression ("new X(...)" then "{ ... };"), not a declaration.
            continue
        length = end - i + 1
        if declared:
            types[declared.group(2)] += length
        else:
            name = re.search(r'(\w+)\s*(<[^>]*>)?\s*\(', line)
            members.append((length, f'{path}:{i + 1}', name.group(1) if name else line.strip()))


def main(arguments):
    verbose = '-v' in arguments
    types, members, unclosed = collections.Counter(), [], []
    for root in (a for a in arguments if a != '-v'):
        for directory, _, files in os.walk(root):
            if os.sep + 'obj' in directory or os.sep + 'bin' in directory:
                continue
            for name in sorted(files):
                if name.endswith('.cs'):
                    scan(os.path.join(directory, name), types, members, unclosed)
    for length, where, name in sorted(members, reverse=True):
        if verbose or length > MAX_MEMBER:
            print(f'member {length:4d} lines  {where}  {name}')
    for name, length in types.most_common():
        if length > MAX_TYPE:
            print(f'type   {length:4d} lines  {name} (partial parts added up)')
    for where in unclosed:
        print(f'type   not counted: no closing brace on a line of its own  {where}')


if __name__ == '__main__':
    main(sys.argv[1:])

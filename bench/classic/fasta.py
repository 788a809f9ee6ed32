# fasta: generate DNA sequences, by copying a given sequence and by weighted
# random selection with a linear congruential generator. Each sequence is
# collected as a list of lines; its line count, character count and last
# line are printed.
#
# A translation into Python of this suite's memo and Lua ports (fasta.memo,
# fasta.lua), written for this suite; the program follows the Computer
# Language Benchmarks Game's fasta benchmark (no code from it is copied
# here). The random numbers come from a generator; the weighted choice is
# bisect.bisect (bisect_right), which the ports write out as the same binary
# search.

import bisect

N = 700_000

alu = (
    "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG"
    "GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA"
    "CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT"
    "ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA"
    "GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG"
    "AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC"
    "AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA"
)

iub = list(zip("acgtBDHKMNRSVWY", [0.27, 0.12, 0.12, 0.27] + [0.02] * 11))

homosapiens = [
    ("a", 0.3029549426680),
    ("c", 0.1979883004921),
    ("g", 0.1975473066391),
    ("t", 0.3015094502008),
]


def gen_random(ia, ic, im):
    """An endless stream of pseudo-random floats in [0, 1)."""
    seed = 42
    imf = float(im)
    while True:
        seed = (seed * ia + ic) % im
        yield seed / imf


Random = gen_random(3877, 29573, 139968)


def make_cumulative(table):
    probs = []
    chars = []
    prob = 0.0
    for char, p in table:
        prob += p
        probs.append(prob)
        chars.append(char)
    return probs, chars


def repeat_fasta(src, n):
    out = []
    width = 60
    r = len(src)
    s = src + src + src[:n % r]
    for j in range(n // width):
        i = j * width % r
        out.append(s[i:i + width])
    if n % width:
        out.append(s[-(n % width):])
    return out


def random_fasta(table, n):
    out = []
    width = 60
    rand = Random.__next__
    bisect_right = bisect.bisect
    probs, chars = make_cumulative(table)
    for _ in range(n // width):
        out.append("".join([chars[bisect_right(probs, rand())] for _ in range(width)]))
    if n % width:
        out.append("".join([chars[bisect_right(probs, rand())] for _ in range(n % width)]))
    return out


def report(header, lines):
    print(header)
    chars = sum(len(line) for line in lines)
    print(f"{len(lines)} lines, {chars} characters, last: {lines[-1]}")


def main(n):
    report(">ONE Homo sapiens alu", repeat_fasta(alu, n * 2))
    report(">TWO IUB ambiguity codes", random_fasta(iub, n * 3))
    report(">THREE Homo sapiens frequency", random_fasta(homosapiens, n * 5))


main(N)
